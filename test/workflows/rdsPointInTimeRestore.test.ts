// Point-in-time recovery on the time-skipping server with real activities against moto (through
// the slow-RDS launcher) and a real PostgreSQL.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RestoreResult } from '../../src/domain/restoreProgress.js';
import { startRestoreTestbed, type RestoreTestbed } from '../support/restoreTestbed.js';

let t: RestoreTestbed;
let n = 0;

beforeAll(async () => {
  t = await startRestoreTestbed();
});
afterAll(async () => {
  await t?.stop();
});
beforeEach(async () => {
  await t.resetRds();
});

async function execute(input: object): Promise<RestoreResult> {
  n += 1;
  return t.env.client.workflow.execute('rdsPointInTimeRestore', {
    args: [input],
    taskQueue: t.taskQueue,
    workflowId: `pitr-${n}`,
  });
}

async function failureOf(input: object): Promise<ApplicationFailure> {
  const error = await execute(input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

test('restores the latest restorable time into a new instance and verifies it', async () => {
  await t.moto.configure({ seconds: 1 });
  const result = await execute({
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
    verify: t.verify(1),
  });
  expect(result).toMatchObject({
    plan: { source: { kind: 'point-in-time', sourceInstanceId: 'orders-prod', restoreTime: 'latest' } },
    instance: { instanceId: 'orders-pitr', status: 'available' },
    checks: [
      { check: 'critical rows', passed: true, observed: '42' },
      { check: 'schema version', passed: true, observed: '20261115000000' },
    ],
  });
  expect(result.plan.restorableWindow?.latest).toBeDefined();
  expect((await t.moto.instances()).get('orders-pitr')).toBe('available');
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
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
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
  expect([...(await t.moto.instances()).keys()].sort()).toEqual(['orders-pitr', 'orders-prod']);
});

test('verification queries that fail fail the workflow with each failed check and both endpoints', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
    verify: t.verify(1000),
  });
  expect(failure.type).toBe('VerificationFailed');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    'rds: verification of restored instance "orders-pitr" (orders-pitr.aaaaaaaaaa.us-east-1.rds.amazonaws.com) failed: critical rows: observed 42, expected >= 1000 (value below the minimum); nothing was switched; the source stays at orders-prod.aaaaaaaaaa.us-east-1.rds.amazonaws.com',
  );
});

test('a restoreTime after `before` is refused, and nothing is created', async () => {
  const before = new Date(Date.now() - 120_000).toISOString();
  const restoreTime = new Date(Date.now() - 60_000).toISOString();
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    restoreTime,
    before,
    targetInstanceId: 'orders-pitr',
  });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.message).toBe(
    `rds: restoreTime ${restoreTime} is after before=${before} (the corruption's detection: data from then on may be bad)`,
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('"latest" with `before` restores to `before`, and a dry run pins that time', async () => {
  const before = new Date(Date.now() - 60_000).toISOString();
  const input = { sourceInstanceId: 'orders-prod', restoreTime: 'latest', before, targetInstanceId: 'orders-pitr' };
  const plan = await execute({ ...input, dryRun: true });
  expect(plan.pin).toEqual({ restoreTime: before, targetInstanceId: 'orders-pitr' });
  const result = await execute({ ...input, pin: plan.pin });
  expect(result.plan.source).toEqual({ kind: 'point-in-time', sourceInstanceId: 'orders-prod', restoreTime: before });
  expect(result).toMatchObject({ changed: true, verified: false, dryRun: false });
});

test("the restored instance gets the source's security groups, subnet group, parameter and option group", async () => {
  const source = await t.seedNetworkedSource();
  await execute({ sourceInstanceId: 'orders-vpc', restoreTime: 'latest', targetInstanceId: 'orders-vpc-pitr' });
  expect(await t.settingsOf('orders-vpc-pitr')).toEqual(source);
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
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});
