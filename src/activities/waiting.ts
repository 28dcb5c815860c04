// The one way activities wait for something: poll, heartbeat the progress, and resume the
// overall clock from the last heartbeat when Temporal retries the activity.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable } from './failures.js';

/**
 * Polls in a row that may fail retryably (throttled, 5xx, a reset connection) before the wait
 * gives up its attempt to Temporal's retry policy. A long wait through a flaky API would
 * otherwise spend one attempt of the retry policy per failed poll.
 */
export const MAX_FAILED_POLLS_IN_A_ROW = 5;

/**
 * Heartbeats every `intervalMs` until the returned stop is called: for an activity that waits on
 * one long call (a query, a CLI), so a dead worker is noticed at the heartbeat timeout rather than
 * at start-to-close. Outside an activity (unit use) it does nothing.
 */
export function keepHeartbeating(details?: () => unknown, intervalMs = 5_000): () => void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return () => undefined;
  }
  const timer = setInterval(() => ctx.heartbeat(details?.()), intervalMs);
  return () => clearInterval(timer);
}

export interface WaitProgress<P> {
  /** Epoch ms of the first attempt's start, carried across retries. */
  startedAt: number;
  polls: number;
  elapsedSeconds: number;
  last?: P;
}

export interface PollOptions<P, R> {
  /** What is awaited, for the timeout message ("deployment "web" rollout"). */
  what: string;
  /**
   * One observation: `done` ends the wait with `result`. A non-retryable failure ends it too; any
   * other error is a missed reading, up to MAX_FAILED_POLLS_IN_A_ROW in a row.
   */
  poll: () => Promise<{ done: true; result: R; progress: P } | { done: false; progress: P }>;
  intervalMs: number;
  timeoutMs: number;
  /** Interval growth per poll (1 = fixed), capped at maxIntervalMs. */
  backoff?: number;
  maxIntervalMs?: number;
  describe?: (progress: P) => string;
  /** Resolves when a new reading is worth taking before the interval is up (a watch event). */
  wake?: () => Promise<unknown>;
}

export async function pollUntil<P, R>(options: PollOptions<P, R>): Promise<R & { waited: WaitProgress<P> }> {
  const ctx = Context.current();
  const prior = ctx.info.heartbeatDetails as WaitProgress<P> | undefined;
  const startedAt = prior?.startedAt ?? Date.now();
  let polls = prior?.polls ?? 0;
  let last = prior?.last;
  let interval = options.intervalMs;
  let failedInARow = 0;
  for (;;) {
    let observation: Awaited<ReturnType<typeof options.poll>>;
    try {
      observation = await options.poll();
      failedInARow = 0;
    } catch (error) {
      // A missed reading is not the end of the wait: poll again after the interval, within the limit.
      failedInARow += 1;
      const final = error instanceof ApplicationFailure && error.nonRetryable;
      if (final || failedInARow >= MAX_FAILED_POLLS_IN_A_ROW || Date.now() - startedAt >= options.timeoutMs) {
        throw error;
      }
      const waited: WaitProgress<P> = {
        startedAt,
        polls,
        elapsedSeconds: Math.round((Date.now() - startedAt) / 1000),
        last,
      };
      ctx.heartbeat(waited);
      await ctx.sleep(interval);
      continue;
    }
    polls += 1;
    last = observation.progress;
    const waited: WaitProgress<P> = {
      startedAt,
      polls,
      elapsedSeconds: Math.round((Date.now() - startedAt) / 1000),
      last: observation.progress,
    };
    ctx.heartbeat(waited);
    if (observation.done) return { ...observation.result, waited };
    if (Date.now() - startedAt >= options.timeoutMs) {
      const detail = options.describe ? `: ${options.describe(observation.progress)}` : '';
      throw nonRetryable(
        'WaitLimitExceeded',
        `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${options.what}${detail}`,
      );
    }
    await sleepOrWake(ctx, interval, options.wake);
    interval = Math.min(interval * (options.backoff ?? 1), options.maxIntervalMs ?? interval);
  }
}

/**
 * The interval's sleep, cut short by `wake` (its timer cleared, so a long interval does not hold
 * the process); a cancelled activity still ends it with its CancelledFailure, as ctx.sleep does.
 */
async function sleepOrWake(ctx: Context, ms: number, wake?: () => Promise<unknown>): Promise<void> {
  if (!wake) return ctx.sleep(ms);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), wake(), ctx.cancelled]);
  } finally {
    clearTimeout(timer);
  }
}
