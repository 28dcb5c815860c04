// The dev server stopped and started again on its SQLite file and port while workflows wait: in
// the middle of an RDS restore's wait, and while P1 incidents wait for confirmation. The one
// compiled worker process is never restarted: it must ride out the outage and reconnect.
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import type { RestoreResult, RestoreStatus } from '../../src/domain/restoreProgress.js';
import { checklistItemSignal, confirmUpdate } from '../../src/workflows/incident/messages.js';
import { aliasVersion } from '../support/aws.js';
import { devServer, type DevServer } from '../support/devServer.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { channelConfig, entries, p1Input, status, waitForPhase } from '../support/incident.js';
import { waitFor } from '../support/ports.js';
import { workerPool, type RunningProcess, type WorkerPool } from '../support/processes.js';
import { restoredInstances } from '../support/restoreKill.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { uniqueTaskQueue } from '../support/temporal.js';

const P1_DEADLINE_MS = 15 * 60_000;

let server: DevServer;
let moto: SlowRds;
let receiver: HttpReceiver;
let workers: WorkerPool;
let worker: RunningProcess;
const taskQueue = uniqueTaskQueue('server-restart');

beforeAll(async () => {
  [server, moto, receiver] = await Promise.all([devServer(), startSlowRds(), startHttpReceiver()]);
  // One after the other: the functions share an IAM role that the first one creates.
  await seedRdsInstance(moto, 'orders-prod');
  await seedLambdaFunction(moto, 'payments-api');
  await seedLambdaFunction(moto, 'inventory-api');
  workers = workerPool({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: moto.endpoint,
    ...channelConfig(receiver.url),
  });
  worker = workers.start();
});
afterAll(async () => {
  await workers?.stopAll();
  await Promise.all([server?.close(), moto?.stop(), receiver?.close()]);
});

/** Stops the server with `signal`, checks it died of it, and starts it again on the same file and port. */
async function restartServer(signal: NodeJS.Signals): Promise<void> {
  const stopped = await server.stop(signal);
  // SIGKILL leaves the server no chance to flush anything; SIGTERM is its clean shutdown (exit 0).
  expect(stopped).toEqual(signal === 'SIGKILL' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null });
  await server.start();
}

function workerStillRunning(): void {
  expect({ exitCode: worker.child.exitCode, signal: worker.child.signalCode }).toEqual({
    exitCode: null,
    signal: null,
  });
  expect(workers.started).toHaveLength(1);
}

test('the dev server SIGKILLed in the middle of a restore wait comes back on its SQLite file; the restore completes with one instance', async () => {
  // The restore stays "creating" until the test advances moto's clock.
  await moto.configure({ seconds: 3600, outcome: 'available', restoreResponseDelay: 0 });
  const handle = await server.client.workflow.start('rdsSnapshotRestore', {
    taskQueue,
    workflowId: 'restart-mid-wait',
    // One poll per activity call and a durable 1 s timer between polls (continuing as new every
    // few polls): the kill lands on the server's timers, tasks and runs, not inside the worker.
    args: [{ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored', maxPollIntervalSeconds: 1 }],
  });
  const polls = async () => (await handle.query<RestoreStatus>('status')).instance?.polls ?? 0;
  await waitFor('three polls of the restore wait', async () => (await polls()) >= 3, 60_000, 200);
  const pollsBeforeKill = await polls();
  expect((await moto.instances()).get('orders-restored')).toBe('creating');

  await restartServer('SIGKILL');
  expect((await handle.query<RestoreStatus>('status')).phase).toBe('waiting');
  // The wait resumed on the restarted server: its timers fire and its polls go on.
  await waitFor(
    `polls after the restart (more than ${pollsBeforeKill})`,
    async () => (await polls()) >= pollsBeforeKill + 2,
    60_000,
    200,
  );
  expect((await moto.instances()).get('orders-restored')).toBe('creating');

  await moto.advance(3600);
  const result = (await handle.result()) as RestoreResult;
  expect(result).toMatchObject({ instance: { instanceId: 'orders-restored', status: 'available' }, adopted: false });
  expect(result.polls).toBeGreaterThan(pollsBeforeKill + 2);
  expect(await restoredInstances(moto, 'orders-prod')).toEqual(['orders-restored']);
  workerStillRunning();
});

test('the dev server SIGKILLed, then SIGTERMed, while P1 incidents wait for confirmation: queries answer, a confirmation rolls back, and the SLA breach still escalates on time', async () => {
  const confirmed = await server.client.workflow.start('incidentRollback', {
    taskQueue,
    workflowId: 'rollback-production-payments-api',
    args: [p1Input(receiver.url, 'payments-api')],
  });
  // No SLA override in the input: an alert detected 15 minutes minus 25 s ago puts the P1
  // deadline 25 s from now, after both restarts.
  const deadlineMs = Date.now() + 25_000;
  const unconfirmed = await server.client.workflow.start('incidentRollback', {
    taskQueue,
    workflowId: 'rollback-production-inventory-api',
    args: [p1Input(receiver.url, 'inventory-api', { detectedAt: new Date(deadlineMs - P1_DEADLINE_MS).toISOString() })],
  });
  await waitForPhase(confirmed, 'awaiting-confirmation');
  expect(await waitForPhase(unconfirmed, 'awaiting-confirmation')).toMatchObject({
    severity: 'P1',
    deadline: new Date(deadlineMs).toISOString(),
  });
  await confirmed.signal(checklistItemSignal, { item: 'Status page updated', by: 'carol' });
  await waitFor('the checklist item in the timeline', async () => (await entries(confirmed, 'checklist')).length > 0);
  await restartServer('SIGKILL');
  expect(await status(confirmed)).toMatchObject({ phase: 'awaiting-confirmation', severity: 'P1' });
  expect((await entries(confirmed, 'checklist')).find((e) => e.by === 'carol')?.message).toBe(
    'checklist: Status page updated',
  );
  await confirmed.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
  expect(await confirmed.result()).toMatchObject({ outcome: 'rolled-back', slaBreached: false });
  expect(await aliasVersion(moto, 'payments-api')).toBe('2');

  // Still before the deadline (else this would not prove the timer survives): a clean stop too.
  expect(await entries(unconfirmed, 'sla-breached')).toEqual([]);
  expect(Date.now()).toBeLessThan(deadlineMs);
  await restartServer('SIGTERM');
  expect(await status(unconfirmed)).toMatchObject({ phase: 'awaiting-confirmation', slaBreached: false });
  const [breach] = await waitFor(
    `the SLA breach of ${unconfirmed.workflowId} (deadline ${new Date(deadlineMs).toISOString()})`,
    async () => {
      const breaches = await entries(unconfirmed, 'sla-breached');
      return breaches.length > 0 && breaches;
    },
    deadlineMs - Date.now() + 30_000,
    200,
  );
  // The durable timer fired at its time, neither early nor lost across the two restarts.
  const lateMs = Date.parse(breach!.at) - deadlineMs;
  expect(lateMs).toBeGreaterThanOrEqual(0);
  expect(lateMs).toBeLessThan(5_000);
  await waitFor('the SLA breach page on the escalation channel', async () =>
    receiver.posted<{ kind: string }>('/escalation/inventory-api').some((m) => m.kind === 'sla-breach'),
  );
  expect(await aliasVersion(moto, 'inventory-api')).toBe('3');
  await unconfirmed.signal('abort', { by: 'ic-alice', reason: 'done' });
  expect(await unconfirmed.result()).toMatchObject({ outcome: 'aborted', slaBreached: true });
  workerStillRunning();
});
