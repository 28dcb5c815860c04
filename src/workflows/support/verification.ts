// The verification suite as workflow code (issue 12, docs/verification.md): every check runs on
// its own, in parallel, taking readings (one activity call each) every `intervalSeconds` until
// `consecutive` readings in a row passed or `timeoutSeconds` ran out. A check that did not pass
// in time is `failed` when its last readable reading failed, else `unreadable`: never passed.
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { CheckActivities } from '../../activities/types.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../domain/failures.js';
import type { CheckSpec } from '../../domain/schemas/verifyRollback.js';
import { verdictOf, type CheckResult, type VerificationReport } from '../../domain/verification.js';

export type { VerificationReport };

/**
 * One reading: a few quick tries (the check's own loop is the real retry). A latency reading of
 * K requests is the slowest; two minutes bound it.
 */
const checks = proxyActivities<CheckActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    maximumAttempts: 2,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

/**
 * A `terraformPlanClean` reading runs a whole `plan`, which may take longer than two minutes: the
 * activity stops the plan at the check's own `timeoutSeconds`, so its reading gets that long
 * and a minute more (for `init` and the worker's own work).
 */
function readingActivities(spec: CheckSpec) {
  if (spec.check !== 'terraformPlanClean') return checks;
  return proxyActivities<CheckActivities>({
    startToCloseTimeout: `${Math.ceil(spec.timeoutSeconds) + 60} seconds`,
    retry: {
      initialInterval: '1 second',
      maximumAttempts: 2,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
    },
  });
}

function failureMessage(error: unknown): string {
  let e: unknown = error;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof ApplicationFailure || e instanceof Error ? e.message : String(e);
}

export async function runCheck(spec: CheckSpec): Promise<CheckResult> {
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  let streak = 0;
  let readings = 0;
  let unreadableReadings = 0;
  let lastReadable: CheckResult | undefined;
  let last: CheckResult | undefined;
  for (;;) {
    let r: CheckResult;
    try {
      r = await readingActivities(spec).runVerificationCheck(spec);
    } catch (error) {
      const message = failureMessage(error);
      r = {
        check: spec.check,
        target: spec.check,
        status: 'unreadable',
        passed: false,
        observed: 'not readable',
        expected: 'a reading',
        detail: message,
        at: new Date().toISOString(),
      };
      // A check the activity refuses (bad input) will not read better later.
      if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) {
        return { ...r, readings: readings + 1 };
      }
    }
    readings += 1;
    last = r;
    if (r.status === 'unreadable') unreadableReadings += 1;
    else lastReadable = r;
    streak = r.status === 'passed' ? streak + 1 : 0;
    if (streak >= spec.consecutive) {
      const inARow = spec.consecutive > 1 ? `${streak} passing readings in a row` : undefined;
      return { ...r, readings, detail: [r.detail, inARow].filter(Boolean).join('; ') || undefined };
    }
    if (Date.now() + spec.intervalSeconds * 1000 > deadline) break;
    await sleep(spec.intervalSeconds * 1000);
  }
  const why = `not ${spec.consecutive} passing readings in a row within ${spec.timeoutSeconds} s (${readings} readings, ${unreadableReadings} unreadable)`;
  if (lastReadable && lastReadable.status === 'failed') {
    return { ...lastReadable, readings, detail: [lastReadable.detail, why].filter(Boolean).join('; ') };
  }
  const base = lastReadable ?? last!;
  return {
    ...base,
    status: 'unreadable',
    passed: false,
    readings,
    detail: [last!.status === 'unreadable' ? last!.detail : undefined, why].filter(Boolean).join('; '),
  };
}

export async function runChecks(specs: readonly CheckSpec[]): Promise<VerificationReport> {
  const results = await Promise.all(specs.map((spec) => runCheck(spec)));
  const verdict = verdictOf(results);
  const counts = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const parts = [`${counts('passed')} of ${results.length} checks passed`];
  if (counts('failed') > 0) {
    parts.push(
      `failed: ${results
        .filter((r) => r.status === 'failed')
        .map((r) => `${r.check} (${r.observed})`)
        .join(', ')}`,
    );
  }
  if (counts('unreadable') > 0) {
    parts.push(
      `unreadable: ${results
        .filter((r) => r.status === 'unreadable')
        .map((r) => r.check)
        .join(', ')}`,
    );
  }
  return { verdict, message: `${verdict}: ${parts.join('; ')}`, results };
}

/** The first result of `check` in a report, for the announcement's fields. */
export function resultOf(report: VerificationReport | undefined, check: string): CheckResult | undefined {
  return report?.results.find((r) => r.check === check);
}
