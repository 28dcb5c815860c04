// The one way activities wait for something: poll, heartbeat the progress, and resume the
// overall clock from the last heartbeat when Temporal retries the activity.
import { Context } from '@temporalio/activity';
import { nonRetryable } from './failures.js';

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
  /** One observation: `done` ends the wait with `result`; a thrown error ends it too. */
  poll: () => Promise<{ done: true; result: R; progress: P } | { done: false; progress: P }>;
  intervalMs: number;
  timeoutMs: number;
  /** Interval growth per poll (1 = fixed), capped at maxIntervalMs. */
  backoff?: number;
  maxIntervalMs?: number;
  describe?: (progress: P) => string;
}

export async function pollUntil<P, R>(options: PollOptions<P, R>): Promise<R & { waited: WaitProgress<P> }> {
  const ctx = Context.current();
  const prior = ctx.info.heartbeatDetails as WaitProgress<P> | undefined;
  const startedAt = prior?.startedAt ?? Date.now();
  let polls = prior?.polls ?? 0;
  let interval = options.intervalMs;
  for (;;) {
    const observation = await options.poll();
    polls += 1;
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
    await ctx.sleep(interval);
    interval = Math.min(interval * (options.backoff ?? 1), options.maxIntervalMs ?? interval);
  }
}
