// A wait through a flaky API: a poll that fails retryably is a missed reading, not the end of the
// activity attempt (each would spend one of the retry policy's attempts); a non-retryable failure,
// too many failures in a row or the wait's own limit still end it.
import { ApplicationFailure } from '@temporalio/common';
import { KubeApiError } from '../../src/activities/kubernetes/client.js';
import { MAX_FAILED_POLLS_IN_A_ROW, pollUntil, type WaitProgress } from '../../src/activities/waiting.js';
import { activityContext } from '../support/activityContext.js';

/** A poll that answers from a script: an error to throw, or whether the awaited thing is done. */
function scripted(steps: (Error | boolean)[]) {
  let i = 0;
  const poll = async () => {
    const step = steps[Math.min(i, steps.length - 1)]!;
    i += 1;
    if (step instanceof Error) throw step;
    return step
      ? { done: true as const, result: { ok: true }, progress: `poll ${i}` }
      : { done: false as const, progress: `poll ${i}` };
  };
  return { poll, calls: () => i };
}

const throttled = () => new KubeApiError(429, 'TooManyRequests', 'slow down');
const unavailable = () => new KubeApiError(503, 'ServiceUnavailable', 'try later');

test('throttled and unavailable polls between readings do not end the wait', async () => {
  const ctx = activityContext();
  const script = scripted([false, throttled(), unavailable(), false, throttled(), true]);
  const result = await ctx.run(() => pollUntil({ what: 'x', poll: script.poll, intervalMs: 5, timeoutMs: 10_000 }));
  expect(result).toMatchObject({ ok: true, waited: { polls: 3, last: 'poll 6' } });
  expect(script.calls()).toBe(6);
  // The missed readings heartbeat the wait's clock and the last reading, so a retry resumes from them.
  expect(ctx.heartbeats[1]).toMatchObject({ polls: 1, last: 'poll 1' });
});

test(`${MAX_FAILED_POLLS_IN_A_ROW} failed polls in a row end the attempt with the last error`, async () => {
  const script = scripted([false, ...Array.from({ length: MAX_FAILED_POLLS_IN_A_ROW }, unavailable), true]);
  const error = await activityContext()
    .run(() => pollUntil({ what: 'x', poll: script.poll, intervalMs: 5, timeoutMs: 10_000 }))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KubeApiError);
  expect((error as KubeApiError).status).toBe(503);
  expect(script.calls()).toBe(1 + MAX_FAILED_POLLS_IN_A_ROW);
});

test('a non-retryable failure ends the wait at once', async () => {
  const gone = ApplicationFailure.create({
    type: 'NotFound',
    message: 'deployment "web" not found',
    nonRetryable: true,
  });
  const script = scripted([false, gone, true]);
  const error = await activityContext()
    .run(() => pollUntil({ what: 'x', poll: script.poll, intervalMs: 5, timeoutMs: 10_000 }))
    .catch((e: unknown) => e);
  expect(error).toBe(gone);
  expect(script.calls()).toBe(2);
});

test('a failed poll past the wait limit ends the attempt; the retry reports the limit', async () => {
  const startedAt = Date.now() - 60_000;
  const prior: WaitProgress<string> = { startedAt, polls: 4, elapsedSeconds: 60, last: 'poll 4' };
  const script = scripted([throttled(), false]);
  const error = await activityContext(prior)
    .run(() => pollUntil({ what: 'x', poll: script.poll, intervalMs: 5, timeoutMs: 30_000 }))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KubeApiError);
  const limit = await activityContext(prior)
    .run(() => pollUntil({ what: 'deployment "web" rollout', poll: script.poll, intervalMs: 5, timeoutMs: 30_000 }))
    .catch((e: unknown) => e);
  expect(limit).toMatchObject({ type: 'WaitLimitExceeded', nonRetryable: true });
});
