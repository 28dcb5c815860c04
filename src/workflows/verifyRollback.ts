// Runbook "Verification After Rollback" as one workflow (issue 12): runs the given checks in
// parallel, each retried within its own time limit, and returns every result with a verdict:
// healthy (every check passed), unhealthy (one failed) or not-verified (a source unreadable).
// Usable alone (UI, rollbackctl), as a child of a procedure, and by the incident. It changes
// nothing, so it is not a rollback procedure: it sits beside the procedure registry.
import { defineQuery, setHandler } from '@temporalio/workflow';
import { verifyRollbackInput } from '../domain/schemas/verifyRollback.js';
import type { CheckResult } from '../domain/verification.js';
import { parseInput } from './support/input.js';
import { runCheck, type VerificationReport } from './support/verification.js';
import { verdictOf } from '../domain/verification.js';

export interface VerifyRollbackResult extends VerificationReport {
  reason?: string;
  requestedBy?: string;
}

/** The results so far: a check still running is absent. */
export const verificationProgressQuery = defineQuery<{ done: CheckResult[]; pending: string[] }>('progress');

export async function verifyRollback(rawInput: unknown): Promise<VerifyRollbackResult> {
  const input = parseInput(verifyRollbackInput, rawInput, 'verifyRollback');
  const done: (CheckResult | undefined)[] = input.checks.map(() => undefined);
  setHandler(verificationProgressQuery, () => ({
    done: done.filter((r): r is CheckResult => r !== undefined),
    pending: input.checks.filter((_, i) => done[i] === undefined).map((c) => c.check),
  }));
  await Promise.all(
    input.checks.map(async (spec, i) => {
      done[i] = await runCheck(spec);
    }),
  );
  const results = done as CheckResult[];
  const verdict = verdictOf(results);
  const passed = results.filter((r) => r.status === 'passed').length;
  const notPassed = results
    .filter((r) => r.status !== 'passed')
    .map((r) => `${r.check} ${r.status} (${r.observed})`)
    .join(', ');
  return {
    verdict,
    message: `${verdict}: ${passed} of ${results.length} checks passed${notPassed ? `; ${notPassed}` : ''}`,
    results,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
  };
}
