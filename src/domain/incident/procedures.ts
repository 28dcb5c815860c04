// Procedures are the rollback workflows an incident runs as children, named by workflow type.
// A new procedure plugs in by adding its type here and exporting it from src/workflows/index.ts
// (a unit test keeps the two lists in step).

export const PROCEDURE_WORKFLOW_TYPES = [
  'lambdaAliasRollback',
  'kubernetesDeploymentRollback',
  'blueGreenRollback',
  'canaryRollback',
  'configMapRollback',
  'secretRollback',
  'rdsSnapshotRestore',
  'rdsPointInTimeRestore',
  'route53RecordRollback',
] as const;

export type ProcedureWorkflowType = (typeof PROCEDURE_WORKFLOW_TYPES)[number];

export interface ProcedureRef {
  type: ProcedureWorkflowType;
  input: Record<string, unknown>;
}

/** Request context that says nothing about what is rolled back. */
const NOT_TARGET = new Set(['reason', 'requestedBy', 'dryRun']);

/** "lambdaAliasRollback functionName=checkout-api alias=production -> previous version", for people. */
export function describeTarget(procedure: ProcedureRef): string {
  const entries = Object.entries(procedure.input).filter(([k]) => !NOT_TARGET.has(k));
  const to = entries.find(([k]) => /^to[A-Z]/.test(k));
  const what = entries
    .filter(([k]) => k !== to?.[0])
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const destination = to ? `${to[0].slice(2).toLowerCase()} ${String(to[1])}` : 'previous version/revision';
  return `${procedure.type}${what ? ` ${what}` : ''} -> ${destination}`;
}

/** The version a finished procedure left in place, from the result fields procedures share. */
export function describeOutcome(type: string, result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  for (const key of ['currentVersion', 'toVersion', 'toRevision', 'revision', 'version']) {
    const value = r[key];
    if (typeof value === 'string' || typeof value === 'number') {
      const label = key.toLowerCase().includes('revision') ? 'revision' : 'version';
      return `${type}: ${label} ${value}`;
    }
  }
  return typeof r.message === 'string' ? `${type}: ${r.message}` : `${type}: done`;
}

/**
 * True when the procedure reports that it checked its own result: `verified: true`, a passed
 * `verification`, or verification checks that all passed.
 */
export function reportsVerified(result: unknown): boolean {
  const r = (result ?? {}) as {
    verified?: unknown;
    verification?: { passed?: unknown };
    checks?: { passed?: unknown }[];
  };
  if (r.verified === true || r.verification?.passed === true) return true;
  return Array.isArray(r.checks) && r.checks.length > 0 && r.checks.every((c) => c.passed === true);
}
