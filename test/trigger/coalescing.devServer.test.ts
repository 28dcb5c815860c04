// Coalescing on the real Temporal dev server: concurrent alerts for one incident share one
// signal-with-start, every one is counted once, and when Temporal stops answering every request of
// the batch gets a 503 with Retry-After, so the sender's retry is what counts the alerts.
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildTrigger } from '../../src/trigger/server.js';
import { alertsSignal } from '../../src/workflows/incident/messages.js';
import { status, timeline } from '../support/incident.js';
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import {
  alertmanagerBody,
  postTo,
  snsSigner,
  testCatalog,
  testTriggerConfig,
  TOKEN,
  workflowExists,
  type Answer,
} from './support.js';
import { startTcpGate, type TcpGate } from './tcpGate.js';

const SERVICES = ['burst-api', 'outage-api', 'batch-api'];
const ALERTS = 40;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
const certCacheDir = snsSigner().certCacheDir;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await startDevServer();
  ({ worker, taskQueue } = await createTestWorker(env, configFor('http://127.0.0.1:9')));
  running = worker.run();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await env?.teardown();
});

async function trigger(client: Client, env: NodeJS.ProcessEnv = {}): Promise<{ app: FastifyInstance; at: string }> {
  const app = buildTrigger({
    client,
    catalog: testCatalog(SERVICES),
    taskQueue,
    config: testTriggerConfig(certCacheDir, env),
  });
  closers.push(() => app.close());
  return { app, at: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

/** One Alertmanager delivery per alert, the worst grouping a storm can bring. */
const oneAlert = (service: string, i: number) =>
  alertmanagerBody([
    { labels: { service, severity: 'critical', instance: `pod-${i}` }, annotations: { errorRatePct: '12' } },
  ]);
const post = (at: string, body: unknown) =>
  postTo(at, '/v1/alerts/alertmanager', body, { authorization: `Bearer ${TOKEN}` });

async function signalsIn(workflowId: string): Promise<{ alert: number; alerts: number[] }> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const counts = { alert: 0, alerts: [] as number[] };
  for (const event of history.events ?? []) {
    const signalled = event.workflowExecutionSignaledEventAttributes;
    if (signalled?.signalName === 'alert') counts.alert += 1;
    if (signalled?.signalName === 'alerts') {
      const payload = await env.client.options.loadedDataConverter.payloadConverter.fromPayload<{
        alerts: unknown[];
      }>(signalled.input!.payloads![0]!);
      counts.alerts.push(payload.alerts.length);
    }
  }
  return counts;
}

test(`${ALERTS} concurrent alerts for one service make one incident that counts ${ALERTS}, in fewer signals`, async () => {
  const { at } = await trigger(env.client);
  const answers = await Promise.all(Array.from({ length: ALERTS }, (_, i) => post(at, oneAlert('burst-api', i))));

  expect(answers.map((a) => a.statusCode).filter((code) => code !== 202)).toEqual([]);
  const incidents = answers.map((a) => (a.json().incidents as { runId: string; alerts: number }[])[0]!);
  expect(new Set(incidents.map((i) => i.runId)).size).toBe(1);
  expect(incidents.every((i) => i.alerts === 1)).toBe(true);

  const workflowId = 'rollback-production-burst-api';
  await waitFor(
    `${ALERTS} alerts counted`,
    async () => (await status(env.client.workflow.getHandle(workflowId))).alerts === ALERTS,
  );
  // Every 202 was answered after its alert was in the history: the count is final, and exact.
  expect((await status(env.client.workflow.getHandle(workflowId))).alerts).toBe(ALERTS);
  const signals = await signalsIn(workflowId);
  expect(signals.alert + signals.alerts.reduce((a, b) => a + b, 0)).toBe(ALERTS);
  expect(signals.alerts.length).toBeGreaterThan(0);
  expect(signals.alert + signals.alerts.length).toBeLessThan(ALERTS);
});

test('Temporal not answering: every request of the batch gets 503 with Retry-After; the retries count each alert once', async () => {
  const gate: TcpGate = await startTcpGate(env.address, 'shut');
  closers.push(() => gate.stop());
  const connection = Connection.lazy({ address: gate.address });
  closers.push(() => connection.close());
  const { at } = await trigger(new Client({ connection, dataConverter: env.client.options.dataConverter }), {
    TRIGGER_TEMPORAL_TIMEOUT_MS: '2000',
  });
  const bodies = Array.from({ length: ALERTS }, (_, i) => oneAlert('outage-api', i));

  // The first alert's call waits out its deadline behind the gate; the others wait for it as one batch.
  const refused: Answer[] = await Promise.all(bodies.map((body) => post(at, body)));
  expect(refused.map((a) => a.statusCode)).toEqual(bodies.map(() => 503));
  expect(new Set(refused.map((a) => a.headers['retry-after']))).toEqual(new Set(['30']));
  expect(await workflowExists(env, 'rollback-production-outage-api')).toBe(false);

  // Temporal answers again; the sender retries each refused delivery until it is accepted.
  gate.open();
  const accepted = await Promise.all(
    bodies.map((body) =>
      waitFor('the retried alert accepted', async () => {
        const answer = await post(at, body);
        return answer.statusCode === 202 ? answer : false;
      }),
    ),
  );
  expect(new Set(accepted.map((a) => (a.json().incidents as { runId: string }[])[0]!.runId)).size).toBe(1);
  const handle = env.client.workflow.getHandle('rollback-production-outage-api');
  await waitFor(`${ALERTS} alerts counted`, async () => (await status(handle)).alerts >= ALERTS);
  expect((await status(handle)).alerts).toBe(ALERTS);
});

test('an alerts signal counts each valid alert; a malformed one is recorded and ignored, not the batch', async () => {
  const { at } = await trigger(env.client);
  expect((await post(at, oneAlert('batch-api', 0))).statusCode).toBe(202);
  const handle = env.client.workflow.getHandle('rollback-production-batch-api');
  await waitFor('the first alert counted', async () => (await status(handle)).alerts === 1);
  await handle.signal(alertsSignal, {
    alerts: [{ summary: 'first' }, { errorRatePct: 'twelve' } as never, { summary: 'third' }],
  });
  await waitFor('the two valid alerts counted', async () => (await status(handle)).alerts === 3);
  const entries = await timeline(handle);
  expect(entries.filter((e) => e.kind === 'ignored').map((e) => e.message)).toEqual([
    expect.stringMatching(/^alert ignored: invalid payload: errorRatePct/),
  ]);
  expect((await status(handle)).alerts).toBe(3);
});
