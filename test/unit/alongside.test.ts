// The join of the incident's body with its SLA loop (src/workflows/incident/alongside.ts): the
// loop's error fails at once, never floats; otherwise the body's outcome is the result.
import { alongside } from '../../src/workflows/incident/alongside.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('an error in the background fails the join while the body still runs', async () => {
  const body = deferred<string>();
  const background = deferred<void>();
  const joined = alongside(body.promise, background.promise);
  background.reject(new Error('sla loop broke'));
  await expect(joined).rejects.toThrow('sla loop broke');
});

test("the body's result comes back while the background still runs", async () => {
  const body = deferred<string>();
  const joined = alongside(body.promise, new Promise<void>(() => undefined));
  body.resolve('rolled-back');
  await expect(joined).resolves.toBe('rolled-back');
});

test('a background that finishes first waits for the body; the body failing fails the join', async () => {
  const body = deferred<string>();
  const background = deferred<void>();
  const joined = alongside(body.promise, background.promise);
  background.resolve();
  await Promise.resolve();
  body.reject(new Error('RollbackFailed'));
  await expect(joined).rejects.toThrow('RollbackFailed');
});
