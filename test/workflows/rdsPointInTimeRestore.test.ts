// Point-in-time recovery on the time-skipping server with real activities against moto (through
// the slow-RDS launcher) and a real PostgreSQL.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedRdsInstance } from '../../src/demo/seedRds.js';
import type { RestoreResult } from '../../src/domain/restoreProgress.js';
import { seedVerificationDatabase, startPostgres, type Postgres } from '../support/postgres.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: SlowRds;
let pgServer: Postgres;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let n = 0;

beforeAll(async () => {
  [env, moto, pgServer] = await Promise.all([startTimeSkipping(), startSlowRds(), startPostgres()]);
  await seedVerificationDatabase(pgServer, 'orders');
  process.env.PITR_VERIFY_PASSWORD = pgServer.password;
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await Promise.all([env?.teardown(), moto?.stop(), pgServer?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  await moto.configure({ seconds: 0, outcome: 'available' });
  await seedRdsInstance(moto, 'orders-prod', { snapshots: [] });
});

async function execute(input: object): Promise<RestoreResult> {
  n += 1;
  return env.client.workflow.execute('rdsPointInTimeRestore', { args: [input], taskQueue, workflowId: `pitr-${n}` });
}

async function failureOf(input: object): Promise<ApplicationFailure> {
  const error = await execute(input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

const verify = (expectRows: number) => ({
  host: pgServer.host,
  port: pgServer.port,
  database: 'orders',
  user: pgServer.user,
  passwordEnv: 'PITR_VERIFY_PASSWORD',
  queries: [{ check: 'critical rows', sql: 'SELECT COUNT(*) FROM critical_table', expect: { min: expectRows } }],
});

test('restores the latest restorable time into a new instance and verifies it', async () => {
  await moto.configure({ seconds: 1 });
  const result = await execute({
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
    verify: verify(1),
  });
  expect(result).toMatchObject({
    plan: { source: { kind: 'point-in-time', sourceInstanceId: 'orders-prod', restoreTime: 'latest' } },
    instance: { instanceId: 'orders-pitr', status: 'available' },
    checks: [{ check: 'critical rows', passed: true, observed: '42' }],
  });
  expect(result.plan.restorableWindow?.latest).toBeDefined();
  expect((await moto.instances()).get('orders-pitr')).toBe('available');
});

test('restores a given time inside the restorable window', async () => {
  const restoreTime = new Date(Date.now() - 60_000).toISOString();
  const result = await execute({ sourceInstanceId: 'orders-prod', restoreTime, targetInstanceId: 'orders-pitr' });
  expect(result.plan.source).toEqual({ kind: 'point-in-time', sourceInstanceId: 'orders-prod', restoreTime });
});

test('a time after the latest restorable time fails naming restoreTime, and creates nothing', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    restoreTime: '2099-01-01T00:00:00Z',
    targetInstanceId: 'orders-pitr',
  });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.message).toMatch(
    /^rds: restoreTime 2099-01-01T00:00:00Z is after the latest restorable time \S+ of instance "orders-prod"$/,
  );
  expect([...(await moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('a restoreTime that is not a time fails at once naming the field', async () => {
  const failure = await failureOf({ sourceInstanceId: 'orders-prod', restoreTime: '2 hours ago' });
  expect(failure.message).toBe(
    'rdsPointInTimeRestore: invalid input: restoreTime: must be an ISO 8601 time with a zone, or "latest"',
  );
});

test('a second run with the same target adopts the instance instead of restoring again', async () => {
  const input = { sourceInstanceId: 'orders-prod', restoreTime: 'latest', targetInstanceId: 'orders-pitr' };
  expect((await execute(input)).adopted).toBe(false);
  expect((await execute(input)).adopted).toBe(true);
  expect([...(await moto.instances()).keys()].sort()).toEqual(['orders-pitr', 'orders-prod']);
});

test('verification queries that fail fail the workflow with each failed check', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
    verify: verify(1000),
  });
  expect(failure.type).toBe('VerificationFailed');
  expect(failure.message).toBe(
    'database verification failed on instance "orders-pitr": critical rows: observed 42, expected >= 1000 (value below the minimum)',
  );
});

test('a dry run reports the time, the new instance and its endpoint, and creates nothing', async () => {
  const result = await execute({
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
    dryRun: true,
  });
  expect(result.message).toBe(
    'dry run: would restore instance "orders-prod" at latest into new instance "orders-pitr" (endpoint orders-pitr.aaaaaaaaaa.us-east-1.rds.amazonaws.com)',
  );
  expect([...(await moto.instances()).keys()]).toEqual(['orders-prod']);
});
