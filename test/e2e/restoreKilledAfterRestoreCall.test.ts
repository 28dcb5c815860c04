// A worker process killed with SIGKILL right after it asked RDS for the restore, before it could
// report back: the retried restore adopts the instance instead of creating a second one.
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import type { RestoreResult } from '../../src/domain/restoreProgress.js';
import { scheduledActivities } from '../../tools/histories.js';
import { restoredInstances, startKillHarness, type KillHarness } from '../support/restoreKill.js';

let h: KillHarness;

beforeAll(async () => {
  h = await startKillHarness();
  await seedRdsInstance(h.moto, 'orders-prod');
});
afterAll(async () => {
  await h?.stop();
});

test('a worker killed with SIGKILL right after the restore call is replaced and the restore completes with one instance', async () => {
  // The restore call creates the instance at once but answers 10 s later: the kill lands in between.
  await h.moto.configure({ seconds: 5, restoreResponseDelay: 10 });
  const first = h.startWorker();
  const handle = await h.env.client.workflow.start('rdsPointInTimeRestore', {
    taskQueue: h.taskQueue,
    workflowId: 'kill-after-restore-call',
    args: [{ sourceInstanceId: 'orders-prod', restoreTime: 'latest', targetInstanceId: 'orders-pitr' }],
  });
  await h.instanceCreated('orders-pitr');
  await first.kill('SIGKILL');

  h.startWorker();
  const result = (await handle.result()) as RestoreResult;
  expect(result.instance).toMatchObject({ instanceId: 'orders-pitr', status: 'available' });
  expect(await restoredInstances(h.moto, 'orders-prod')).toEqual(['orders-pitr']);
  // The restore call's result never reached Temporal: the retry found the instance and adopted it.
  const calls = await scheduledActivities(h.env.client, handle.workflowId);
  expect(calls.filter((name) => name === 'restoreToPointInTime')).toHaveLength(1);
  expect(result.adopted).toBe(true);
});
