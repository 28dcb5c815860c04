// The trigger's coalescer on its own (pure; the real-server behaviour is coalescing.devServer.test.ts):
// one call per key in flight, later items batched in order, a failed call fails exactly its batch.
import { Coalescer } from '../../src/trigger/coalescer.js';

/** A `send` whose calls the test settles one by one, recording each batch. */
function controlledSend() {
  const calls: { key: string; items: number[]; settle(error?: Error): void }[] = [];
  const send = (key: string, items: number[]) =>
    new Promise<string>((resolve, reject) => {
      calls.push({
        key,
        items,
        settle: (error) => (error ? reject(error) : resolve(`${key}:${items.join(',')}`)),
      });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('a lone item goes at once; items arriving while its call is in flight go together in the next call', async () => {
  const { calls, send } = controlledSend();
  const coalescer = new Coalescer(send, 100);
  const first = coalescer.submit('a', 1);
  expect(calls.map((c) => c.items)).toEqual([[1]]);
  const later = [2, 3, 4].map((n) => coalescer.submit('a', n));
  await tick();
  expect(calls).toHaveLength(1); // nothing else in flight for `a` until the first call settles
  calls[0]!.settle();
  expect(await first).toBe('a:1');
  await tick();
  expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
  calls[1]!.settle();
  expect(await Promise.all(later)).toEqual(['a:2,3,4', 'a:2,3,4', 'a:2,3,4']);
  expect(coalescer.inFlight).toBe(0);
});

test('different keys never wait for each other', async () => {
  const { calls, send } = controlledSend();
  const coalescer = new Coalescer(send, 100);
  void coalescer.submit('a', 1);
  const b = coalescer.submit('b', 2);
  expect(calls.map((c) => [c.key, c.items])).toEqual([
    ['a', [1]],
    ['b', [2]],
  ]);
  calls[1]!.settle();
  expect(await b).toBe('b:2');
  expect(coalescer.inFlight).toBe(1);
});

test('a batch holds at most maxBatch items; the rest go in the call after it', async () => {
  const { calls, send } = controlledSend();
  const coalescer = new Coalescer(send, 2);
  const all = [1, 2, 3, 4, 5, 6].map((n) => coalescer.submit('a', n));
  for (let i = 0; i < 4; i++) {
    await tick();
    calls[i]!.settle();
  }
  await Promise.all(all);
  expect(calls.map((c) => c.items)).toEqual([[1], [2, 3], [4, 5], [6]]);
});

test('a failed call rejects every item of its batch and no other; the next batch still goes', async () => {
  const { calls, send } = controlledSend();
  const coalescer = new Coalescer(send, 100);
  const first = coalescer.submit('a', 1);
  const batched = [2, 3].map((n) => coalescer.submit('a', n));
  calls[0]!.settle();
  await first;
  await tick();
  const after = coalescer.submit('a', 4);
  calls[1]!.settle(new Error('UNAVAILABLE'));
  const outcomes = await Promise.allSettled(batched);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  await tick();
  expect(calls.map((c) => c.items)).toEqual([[1], [2, 3], [4]]);
  calls[2]!.settle();
  expect(await after).toBe('a:4');
});

test('a send that throws at once fails its batch, not the coalescer', async () => {
  const coalescer = new Coalescer<number, string>(() => {
    throw new Error('bad batch');
  }, 10);
  await expect(coalescer.submit('a', 1)).rejects.toThrow('bad batch');
  expect(coalescer.inFlight).toBe(0);
});

test('maxBatch below 1 is refused, naming it', () => {
  expect(() => new Coalescer(async () => 'x', 0)).toThrow('maxBatch: must be 1 or more, got 0');
});
