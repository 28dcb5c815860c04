// The incident on the Temporal dev server with the compiled worker process: the search
// attributes the Web UI lists incidents by, and a worker restarted while an incident waits
// for confirmation.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { startOrSignalIncident } from '../../src/incidents/startOrSignalIncident.js';
import { checklistItemSignal, confirmUpdate } from '../../src/workflows/incident/messages.js';
import { aliasVersion } from '../support/aws.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { channelConfig, entries, p1Input, status, waitForPhase } from '../support/incident.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { waitFor } from '../support/ports.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: SlowRds;
let receiver: HttpReceiver;
const taskQueue = uniqueTaskQueue('incident-e2e');
let workers: WorkerPool;

beforeAll(async () => {
  // moto through the slow-RDS launcher: restored instances wait until its clock is advanced.
  [env, moto, receiver] = await Promise.all([startDevServer(), startSlowRds(), startHttpReceiver()]);
  await seedLambdaFunction(moto, 'orders-api');
  await seedLambdaFunction(moto, 'payments-api');
  await seedLambdaFunction(moto, 'inventory-api');
  workers = workerPool({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: moto.endpoint,
    ...channelConfig(receiver.url),
  });
  workers.start();
});
afterAll(async () => {
  await workers?.stopAll();
  await Promise.all([env?.teardown(), moto?.stop(), receiver?.close()]);
});

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

test('the search attributes stay current: a P0 past its deadline is listed as P0 with a breached SLA', async () => {
  const detectedAt = new Date(Date.now() - 10 * 60_000).toISOString();
  const handle = await startOrSignalIncident(
    env.client,
    p1Input(receiver.url, 'orders-api', { errorRatePct: undefined, outage: true, detectedAt }),
    { taskQueue },
  );
  expect(handle.workflowId).toBe('rollback-production-orders-api');
  expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back', slaBreached: true });

  const query = 'RollbackSeverity="P0" AND SlaBreached=true AND RollbackEnvironment="production"';
  await waitFor('the incident in the visibility store', async () => (await listIds(query)).includes(handle.workflowId));
  const described = await handle.describe();
  expect(described.searchAttributes).toMatchObject({
    RollbackService: ['orders-api'],
    RollbackEnvironment: ['production'],
    RollbackSeverity: ['P0'],
    RollbackPhase: ['rolled-back'],
    SlaBreached: [true],
  });
  expect(await aliasVersion(moto, 'orders-api')).toBe('2');

  // The alert fires again: the second incident sees the fresh rollback mark and pages instead.
  const again = await startOrSignalIncident(
    env.client,
    p1Input(receiver.url, 'orders-api', { errorRatePct: undefined, outage: true }),
    { taskQueue },
  );
  const waiting = await waitForPhase(again, 'awaiting-confirmation');
  expect(waiting.refire).toContain('lambdaAliasRollback orders-api:production was rolled back at');
  expect(await aliasVersion(moto, 'orders-api')).toBe('2');
  await again.signal('abort', { by: 'ic-alice', reason: 'looking at release 2' });
  expect(await again.result()).toMatchObject({ outcome: 'aborted' });
  expect(await aliasVersion(moto, 'orders-api')).toBe('2');
});

test('100 concurrent duplicate alerts start one incident on the dev server, which counts all 100', async () => {
  const input = p1Input(receiver.url, 'inventory-api', { severity: 'P2', errorRatePct: undefined });
  const handles = await Promise.all(
    Array.from({ length: 100 }, () => startOrSignalIncident(env.client, input, { taskQueue })),
  );
  expect(new Set(handles.map((x) => x.signaledRunId)).size).toBe(1);
  await waitFor('100 alerts', async () => (await status(handles[0]!)).alerts === 100);
  // Visibility is eventually consistent: wait for the upserted attributes, then check there is one run.
  const bySeverity = 'RollbackService="inventory-api" AND RollbackSeverity="P2"';
  await waitFor('the incident by its search attributes', async () => (await listIds(bySeverity)).length > 0);
  expect(await listIds(bySeverity)).toEqual(['rollback-production-inventory-api']);
  expect(await listIds('WorkflowId="rollback-production-inventory-api"')).toHaveLength(1);
  await handles[0]!.signal('abort', { by: 'test', reason: 'done' });
  expect(await handles[0]!.result()).toMatchObject({ outcome: 'aborted' });
});

test('a worker restarted while the incident waits for confirmation completes it normally once confirmed', async () => {
  const handle = await env.client.workflow.start('incidentRollback', {
    taskQueue,
    workflowId: 'rollback-production-payments-api',
    args: [p1Input(receiver.url, 'payments-api')],
  });
  await waitForPhase(handle, 'awaiting-confirmation');
  await waitFor('the phase search attribute', async () =>
    (await listIds('RollbackPhase="awaiting-confirmation" AND RollbackSeverity="P1"')).includes(handle.workflowId),
  );
  await handle.signal(checklistItemSignal, { item: 'Status page updated', by: 'carol' });

  expect(await workers.started[0]!.kill('SIGINT')).toBe(0);
  workers.start();

  expect(await status(handle)).toMatchObject({ phase: 'awaiting-confirmation', severity: 'P1' });
  await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back', slaBreached: false });
  expect(await aliasVersion(moto, 'payments-api')).toBe('2');
  expect((await entries(handle, 'checklist')).find((e) => e.by === 'carol')?.message).toBe(
    'checklist: Status page updated',
  );
});

test('terminating an incident leaves its running restore (ABANDON) to finish on its own', async () => {
  await seedRdsInstance(moto, 'orders-prod', { snapshots: ['orders-2026-11-20'] });
  await moto.configure({ seconds: 3600, outcome: 'available', restoreResponseDelay: 0 });
  const restore = { sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-abandon', maxPollIntervalSeconds: 1 };
  const incident = await env.client.workflow.start('incidentRollback', {
    taskQueue,
    workflowId: 'rollback-production-orders-db',
    args: [
      {
        service: 'orders-db',
        environment: 'production',
        outage: true,
        procedures: [{ type: 'rdsSnapshotRestore', input: restore }],
        reason: 'orders table corrupted',
        requestedBy: 'alertmanager',
      },
    ],
  });
  await waitFor('the restored instance to be creating', async () => {
    return (await moto.instances()).get('orders-abandon') === 'creating';
  });
  await incident.terminate('operator stopped the incident');
  const child = env.client.workflow.getHandle('rollback-production-orders-db-1-rdsSnapshotRestore');
  expect((await incident.describe()).status.name).toBe('TERMINATED');
  expect((await child.describe()).status.name).toBe('RUNNING');

  await moto.advance(3600);
  expect(await child.result()).toMatchObject({ instance: { instanceId: 'orders-abandon', status: 'available' } });
});
