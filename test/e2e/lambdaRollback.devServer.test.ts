// The Lambda rollback on the Temporal dev server, executed by the compiled worker process.
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { aliasVersion } from '../support/aws.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startWorkerProcess, type RunningProcess } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let worker: RunningProcess;
let metricsPort: number;
const taskQueue = uniqueTaskQueue('e2e');

beforeAll(async () => {
  [env, moto] = await Promise.all([startDevServer(), startMoto()]);
  await seedLambdaFunction(moto, 'orders-api');
  metricsPort = await freePort();
  worker = startWorkerProcess({
    WORKER_METRICS_PORT: String(metricsPort),
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: moto.endpoint,
  });
});
afterAll(async () => {
  await worker?.kill('SIGINT');
  await Promise.all([env?.teardown(), moto?.stop()]);
});

test('the dev server registers the incident search attributes', async () => {
  const response = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(response.customAttributes).toMatchObject({
    RollbackService: expect.anything(),
    RollbackEnvironment: expect.anything(),
    RollbackSeverity: expect.anything(),
    RollbackPhase: expect.anything(),
    SlaBreached: expect.anything(),
  });
});

test('a worker process rolls the alias back and the history keeps readable input and result', async () => {
  const handle = await env.client.workflow.start('lambdaAliasRollback', {
    args: [{ functionName: 'orders-api', reason: 'errors after release 3' }],
    taskQueue,
    workflowId: 'e2e-orders-rollback',
  });
  const result = await handle.result();
  expect(result).toMatchObject({ fromVersion: '3', toVersion: '2', changed: true, verified: true });
  expect(await aliasVersion(moto, 'orders-api')).toBe('2');

  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  expect(Buffer.from(payload?.metadata?.encoding ?? []).toString()).toBe('json/plain');
  expect(JSON.parse(Buffer.from(payload?.data ?? []).toString())).toEqual({
    functionName: 'orders-api',
    reason: 'errors after release 3',
  });
});

test("the worker serves the SDK's Prometheus metrics on WORKER_METRICS_PORT", async () => {
  // Runs after the rollback above, so the worker has completed a workflow on this task queue.
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(body).toMatch(new RegExp(`^temporal_workflow_completed\\{[^}]*task_queue="${taskQueue}"[^}]*\\} 1$`, 'm'));
});

test('a version that does not exist fails once, without retries and without a stack trace', async () => {
  const handle = await env.client.workflow.start('lambdaAliasRollback', {
    args: [{ functionName: 'orders-api', toVersion: '42' }],
    taskQueue,
    workflowId: 'e2e-orders-bad-version',
  });
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause?.message).toContain('version "42" (toVersion) not found for function "orders-api"');
  expect(cause?.stack ?? '').not.toContain(' at ');
  expect((await handle.describe()).status.name).toBe('FAILED');
  expect(await aliasVersion(moto, 'orders-api')).toBe('2');
});
