// Verification after a procedure's change (issue 12, docs/verification.md "Where it runs"): the
// procedure's natural checks plus the input's `verify`, as one `verifyRollback` child
// `<workflowId>-verify`. An unhealthy verdict does not fail the procedure (the change was made):
// it makes the result's `verified` false, and the incident judges.
import { executeChild, patched, workflowInfo } from '@temporalio/workflow';
import { combineChecks } from '../../domain/naturalChecks.js';
import type { CheckSpec } from '../../domain/schemas/verifyRollback.js';
import { verifyRollback, type VerifyRollbackResult } from '../verifyRollback.js';

/**
 * Procedures started before they had natural checks have no child in their history: on replay
 * of such a history the natural checks are left out (the input's `verify` was not accepted then).
 */
export const NATURAL_CHECKS_PATCH = 'verify-natural-checks';

export interface VerifiedAfter {
  /** The suite's report; absent when there was nothing to check. */
  verification?: VerifyRollbackResult;
  /** True when there was nothing to check or every check passed. */
  healthy: boolean;
  /** For the result's message: "; verification healthy: 1 of 1 checks passed", or "". */
  suffix: string;
}

export interface VerifyAfterOptions {
  /** Whether this run changed something: nothing changed, nothing to verify. */
  changed: boolean;
  /** The procedure's own checks of what it changed (src/domain/naturalChecks.ts). */
  natural: readonly CheckSpec[];
  /** The input's `verify`. */
  given: readonly CheckSpec[] | undefined;
  /** For people, in the child's input: "after rolling back deployment.apps/web to revision 2". */
  reason: string;
}

export async function verifyAfter({ changed, natural, given, reason }: VerifyAfterOptions): Promise<VerifiedAfter> {
  if (!changed) return { healthy: true, suffix: '' };
  const checks = combineChecks(natural.length > 0 && patched(NATURAL_CHECKS_PATCH) ? natural : [], given);
  if (checks.length === 0) return { healthy: true, suffix: '' };
  const verification = await executeChild(verifyRollback, {
    workflowId: `${workflowInfo().workflowId}-verify`,
    args: [{ checks, reason }],
  });
  return {
    verification,
    healthy: verification.verdict === 'healthy',
    suffix: `; verification ${verification.message}`,
  };
}
