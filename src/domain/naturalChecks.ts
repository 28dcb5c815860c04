// The checks a procedure runs after its change without being asked (issue 12, docs/verification.md
// "Where it runs"): cheap ones that pass at the first reading when the rollback worked, so a P0
// pays one reading each. The input's `verify` checks run beside them.
import type { CheckOf, CheckSpec } from './schemas/verifyRollback.js';

/** Long enough for a Deployment that just settled to read Ready again; short for a P0. */
const POD_STATUS_TIMING = { timeoutSeconds: 120, intervalSeconds: 5, consecutive: 1 } as const;

/** `podStatus` of each Deployment the procedure rolled, scaled or restarted. */
export function podStatusChecks(
  deployments: readonly { namespace: string; deployment: string }[],
): CheckOf<'podStatus'>[] {
  return deployments.map(({ namespace, deployment }) => ({
    check: 'podStatus',
    namespace,
    deployment,
    ...POD_STATUS_TIMING,
  }));
}

/**
 * `terraformPlanClean` of the directory an apply just ran in: a plan of a directory that was just
 * applied finishes quickly, but it is a whole plan, so it gets the check's default limit.
 */
export function planCleanCheck(workingDirectory: string): CheckOf<'terraformPlanClean'> {
  return {
    check: 'terraformPlanClean',
    workingDirectory,
    varFiles: [],
    timeoutSeconds: 300,
    intervalSeconds: 10,
    consecutive: 1,
  };
}

/** The natural checks first, then the input's; a check given twice runs once. */
export function combineChecks(natural: readonly CheckSpec[], given: readonly CheckSpec[] = []): CheckSpec[] {
  const seen = new Set<string>();
  const all: CheckSpec[] = [];
  for (const spec of [...natural, ...given]) {
    const key = JSON.stringify(spec);
    if (seen.has(key)) continue;
    seen.add(key);
    all.push(spec);
  }
  return all;
}
