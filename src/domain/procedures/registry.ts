// The procedure registry: every procedure workflow an incident may run, by workflow type, with
// its input schema and how to name its target for people. A new procedure plugs in here and in
// src/workflows/procedures.ts, which the compiler holds to this list and to the contract's result
// (and src/workflows/index.ts, for the bundle: a unit test keeps it in step). Announcements name a procedure by
// type and target only: inputs can hold manifests, ConfigMap data or other things not for Slack.
import type { ZodType, ZodTypeDef } from 'zod';
import { describeIssue } from '../validation.js';
import {
  blueGreenRollbackInput,
  canaryRollbackInput,
  configMapRollbackInput,
  kubernetesDeploymentRollbackInput,
  secretRollbackInput,
} from '../schemas/kubernetes.js';
import { helmReleaseRollbackInput } from '../schemas/helmReleaseRollback.js';
import { databaseMigrationRollbackInput } from '../schemas/databaseMigrationRollback.js';
import { lambdaAliasRollbackInput } from '../schemas/lambdaAliasRollback.js';
import { rdsPointInTimeRestoreInput, rdsSnapshotRestoreInput } from '../schemas/rdsRestore.js';
import { route53RecordRollbackInput } from '../schemas/route53RecordRollback.js';
import { verifyRollbackInput } from '../schemas/verifyRollback.js';
import { terraformRevertInput, terraformStateRestoreInput } from '../schemas/terraform.js';

type Input = Record<string, unknown>;

export interface ProcedureEntry {
  schema: ZodType<unknown, ZodTypeDef, unknown>;
  /** The target alone, e.g. "demo/web": never the input's data. */
  target(input: Input): string;
  /** Restores that pick a snapshot take `before` (the incident's detection time). */
  takesBefore?: boolean;
  /** Kubernetes rollbacks with a fallback ladder whose destructive rungs wait for a person. */
  hasFallbacks?: boolean;
}

const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

export const PROCEDURES = {
  lambdaAliasRollback: {
    schema: lambdaAliasRollbackInput,
    target: (i: Input) => `${s(i.functionName)}:${typeof i.alias === 'string' ? i.alias : 'production'}`,
  },
  kubernetesDeploymentRollback: {
    schema: kubernetesDeploymentRollbackInput,
    target: (i: Input) => `${s(i.namespace)}/${s(i.deployment)}`,
    hasFallbacks: true,
  },
  helmReleaseRollback: {
    schema: helmReleaseRollbackInput,
    target: (i: Input) => `${s(i.namespace)}/${s(i.release)}`,
  },
  blueGreenRollback: { schema: blueGreenRollbackInput, target: (i: Input) => `${s(i.namespace)}/${s(i.service)}` },
  canaryRollback: { schema: canaryRollbackInput, target: (i: Input) => `${s(i.namespace)}/${s(i.ingress)}` },
  configMapRollback: { schema: configMapRollbackInput, target: (i: Input) => `${s(i.namespace)}/${s(i.configMap)}` },
  secretRollback: { schema: secretRollbackInput, target: (i: Input) => `${s(i.namespace)}/${s(i.secret)}` },
  rdsSnapshotRestore: {
    schema: rdsSnapshotRestoreInput,
    target: (i: Input) => s(i.sourceInstanceId),
    takesBefore: true,
  },
  rdsPointInTimeRestore: {
    schema: rdsPointInTimeRestoreInput,
    target: (i: Input) => s(i.sourceInstanceId),
    takesBefore: true,
  },
  route53RecordRollback: {
    schema: route53RecordRollbackInput,
    target: (i: Input) => `${s(i.name)} ${s(i.type)}`,
  },
  terraformRevert: {
    schema: terraformRevertInput,
    target: (i: Input) =>
      typeof i.component === 'string'
        ? `${i.component} -s ${s(i.stack)} (revert ${s(i.commit)})`
        : `${s(i.repo)}/${typeof i.workingDir === 'string' ? i.workingDir : '.'} (revert ${s(i.commit)})`,
  },
  terraformStateRestore: {
    schema: terraformStateRestoreInput,
    target: (i: Input) => `${s(i.workingDir)} (state from ${s(i.backup)})`,
  },
  databaseMigrationRollback: {
    schema: databaseMigrationRollbackInput,
    target: (i: Input) =>
      `${s(i.framework)} ${s(i.database)}@${s(i.host)}${typeof i.app === 'string' ? ` app ${i.app}` : ''}`,
  },
} satisfies Record<string, ProcedureEntry>;

export type ProcedureType = keyof typeof PROCEDURES;
export const PROCEDURE_TYPES = Object.keys(PROCEDURES) as [ProcedureType, ...ProcedureType[]];

export interface ProcedureRef {
  type: ProcedureType;
  input: Input;
}

export function procedureEntry(type: ProcedureType): ProcedureEntry {
  return PROCEDURES[type];
}

/** "kubernetesDeploymentRollback demo/web": type and target, for people and announcements. */
export function describeTarget(procedure: ProcedureRef): string {
  return `${procedure.type} ${procedureEntry(procedure.type).target(procedure.input)}`;
}

function pathOf(index: number, path: (string | number)[]): string {
  const rest = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return `procedures[${index}].input${rest}`;
}

/**
 * Every procedure input checked against its own schema, as the child would check it: one line
 * per fault, naming its path ("procedures[1].input.functionName: Required"). A `dryRun` inside a
 * procedure is refused: the incident plans every procedure itself, and its own `dryRun` changes
 * nothing; a dry-run child must never count as a rollback.
 */
export function procedureInputErrors(procedures: readonly ProcedureRef[]): string[] {
  const errors: string[] = [];
  procedures.forEach((procedure, index) => {
    if ('dryRun' in procedure.input) {
      errors.push(
        `procedures[${index}].input.dryRun: not allowed inside an incident (the incident plans every procedure; give the incident's own "dryRun": true to change nothing)`,
      );
    }
    for (const key of ['pin'] as const) {
      if (key in procedure.input) {
        errors.push(`procedures[${index}].input.${key}: set by the incident from its plan, not by the caller`);
      }
    }
    const parsed = procedureEntry(procedure.type).schema.safeParse(procedure.input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push(...describeIssue(issue, (path) => pathOf(index, path)));
    }
  });
  return errors;
}

/** True when `schema` accepts `input` (used to pass optional contract fields only where known). */
export function accepts(type: ProcedureType, input: Input): boolean {
  return procedureEntry(type).schema.safeParse(input).success;
}

/**
 * Workflows started alone (UI, rollbackctl) that are not rollback procedures: they change
 * nothing, so an incident never plans or applies them as a procedure. `verifyRollback` runs the
 * verification suite (docs/verification.md); procedures and the incident run it as a child.
 */
export const STANDALONE_WORKFLOWS = {
  verifyRollback: { schema: verifyRollbackInput as ZodType<unknown, ZodTypeDef, unknown> },
} as const;

export type StandaloneType = keyof typeof STANDALONE_WORKFLOWS;
export const STANDALONE_TYPES = Object.keys(STANDALONE_WORKFLOWS) as StandaloneType[];

/** The input schema of any workflow rollbackctl may start by type (a procedure or a standalone one). */
export function startableSchema(type: string): ZodType<unknown, ZodTypeDef, unknown> | undefined {
  if (type in PROCEDURES) return PROCEDURES[type as ProcedureType].schema;
  if (type in STANDALONE_WORKFLOWS) return STANDALONE_WORKFLOWS[type as StandaloneType].schema;
  return undefined;
}
