// An alert storm through the trigger on the Temporal dev server: 5,000 Alertmanager alerts for
// 50 services, posted over loopback HTTP in groups as Alertmanager sends them, make exactly 50
// incidents that count every alert, with no 5xx.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildTrigger } from '../../src/trigger/server.js';
import { status } from '../support/incident.js';
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { alertmanagerBody, postTo, snsSigner, testCatalog, testTriggerConfig, TOKEN, type Answer } from './support.js';

const SERVICES = Array.from({ length: 50 }, (_, i) => `storm-${String(i).padStart(2, '0')}`);
const POSTS = 100; // each a group with one alert per service: 100 x 50 = 5,000 alerts
const PARALLEL_POSTS = 4;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let app: FastifyInstance;
let address: string;

beforeAll(async () => {
  env = await startDevServer();
  ({ worker, taskQueue } = await createTestWorker(env, configFor('http://127.0.0.1:9')));
  running = worker.run();
  app = buildTrigger({
    client: env.client,
    catalog: testCatalog(SERVICES),
    taskQueue,
    config: testTriggerConfig(snsSigner().certCacheDir),
  });
  address = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await env?.teardown();
});

test('5,000 alerts for 50 services make exactly 50 incidents, every alert counted, no 5xx', async () => {
  const body = alertmanagerBody(
    SERVICES.map((service) => ({ labels: { service, severity: 'critical' }, annotations: { errorRatePct: '12' } })),
  );
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL_POSTS }, async () => {
      while (next < POSTS) {
        next += 1;
        answers.push(await postTo(address, '/v1/alerts/alertmanager', body, { authorization: `Bearer ${TOKEN}` }));
      }
    }),
  );

  expect(answers.map((a) => a.statusCode).filter((code) => code !== 202)).toEqual([]);
  const incidents = answers.flatMap(
    (a) => a.json().incidents as { workflowId: string; runId: string; started: boolean; alerts: number }[],
  );
  expect(incidents.reduce((sum, i) => sum + i.alerts, 0)).toBe(5_000);
  expect(new Set(incidents.map((i) => i.runId)).size).toBe(50);
  expect(
    incidents
      .filter((i) => i.started)
      .map((i) => i.workflowId)
      .sort(),
  ).toEqual(SERVICES.map((s) => `rollback-production-${s}`));

  for (const service of SERVICES) {
    const handle = env.client.workflow.getHandle(`rollback-production-${service}`);
    await waitFor(`100 alerts on ${service}`, async () => (await status(handle)).alerts === POSTS, 60_000, 200);
  }
  const ids: string[] = [];
  await waitFor('50 incidents in the visibility store', async () => {
    ids.length = 0;
    // Incidents only: each also runs its procedure's plan as a child workflow.
    const query = `TaskQueue="${taskQueue}" AND WorkflowType="incidentRollback"`;
    for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids.length >= 50;
  });
  expect(ids).toHaveLength(50);
});
