// A worker process killed with SIGKILL in the middle of the wait, then a new one started: the
// restore completes from where it was, and moto holds exactly one restored instance.
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import type { RestoreResult, RestoreStatus } from '../../src/domain/restoreProgress.js';
import { pendingHeartbeat } from '../../tools/histories.js';
import { waitFor } from '../support/ports.js';
import { restoredInstances, startKillHarness, type KillHarness } from '../support/restoreKill.js';

let h: KillHarness;

beforeAll(async () => {
  h = await startKillHarness();
  await seedRdsInstance(h.moto, 'orders-prod');
});
afterAll(async () => {
  await h?.stop();
});

test('a worker killed with SIGKILL mid-wait is replaced and the restore completes with one instance', async () => {
  await h.moto.configure({ seconds: 14 });
  const first = h.startWorker();
  const handle = await h.env.client.workflow.start('rdsSnapshotRestore', {
    taskQueue: h.taskQueue,
    workflowId: 'kill-mid-wait',
    // Each poll call keeps polling (and heartbeating) for up to 20 s: the kill lands inside it.
    args: [{ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored', pollWindowSeconds: 20 }],
  });
  let beforeKill: { status: string; polls: number } | undefined;
  await waitFor(
    'a heartbeat of the wait',
    async () => {
      beforeKill = await pendingHeartbeat(handle);
      return (beforeKill?.polls ?? 0) >= 2;
    },
    60_000,
    200,
  );
  expect(beforeKill?.status).toBe('creating');
  expect((await handle.query<RestoreStatus>('status')).phase).toBe('waiting');
  expect(await first.kill('SIGKILL')).toBeNull();
  expect(first.child.signalCode).toBe('SIGKILL');

  h.startWorker();
  const result = (await handle.result()) as RestoreResult;
  expect(result).toMatchObject({ instance: { instanceId: 'orders-restored', status: 'available' }, adopted: false });
  // The retried wait resumed the poll count from the killed attempt's last heartbeat.
  expect(result.polls).toBeGreaterThan(beforeKill!.polls);
  expect(result.waitedSeconds).toBeGreaterThanOrEqual(14);
  expect(await restoredInstances(h.moto, 'orders-prod')).toEqual(['orders-restored']);
});
