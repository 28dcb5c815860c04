// RDS activities against moto through the slow-RDS launcher.
import { CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { ApplicationFailure } from '@temporalio/common';
import { createRdsActivities, type WaitForInstanceInput } from '../../src/activities/rds.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { SOURCE_TAG } from '../../src/domain/rdsRestore.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { activityContext, runActivity } from '../support/activityContext.js';

let moto: SlowRds;
let client: RDSClient;
let rds: ReturnType<typeof createRdsActivities>;

const activityEnv = activityContext;
const run = runActivity;

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const restorePitr = () =>
  run(rds.restoreToPointInTime, {
    sourceInstanceId: 'orders-prod',
    restoreTime: 'latest',
    targetInstanceId: 'orders-pitr',
  });

/** The wait's input for `orders-pitr`, started now, with up to 30 s of polling per call. */
const waitInput = (overrides: Partial<WaitForInstanceInput> = {}): WaitForInstanceInput => ({
  instanceId: 'orders-pitr',
  waitStartedAtMs: Date.now(),
  polls: 0,
  maxWaitSeconds: 60,
  pollWindowSeconds: 30,
  ...overrides,
});

beforeAll(async () => {
  moto = await startSlowRds();
  client = new RDSClient({ endpoint: moto.endpoint, region: moto.region });
  rds = createRdsActivities(client);
});
afterAll(async () => {
  client.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  await moto.configure({ seconds: 0, outcome: 'available' });
  await seedRdsInstance(moto, 'orders-prod', { snapshots: [] });
});

test('lists the newest five snapshots of the instance, newest first', async () => {
  for (let i = 1; i <= 6; i++) {
    await client.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-prod', DBSnapshotIdentifier: `manual-${i}` }),
    );
  }
  const snapshots = await run(rds.listSnapshots, { instanceId: 'orders-prod' });
  expect(snapshots.map((s) => s.snapshotId)).toEqual(['manual-6', 'manual-5', 'manual-4', 'manual-3', 'manual-2']);
});

test('with `before`, lists the newest five taken strictly before it, even when newer ones crowd them out', async () => {
  for (let i = 1; i <= 8; i++) {
    await client.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-prod', DBSnapshotIdentifier: `manual-${i}` }),
    );
  }
  const all = await run(rds.listSnapshots, { instanceId: 'orders-prod', count: 10 });
  const before = all.find((s) => s.snapshotId === 'manual-3')!.createdAt!;
  const snapshots = await run(rds.listSnapshots, { instanceId: 'orders-prod', before });
  expect(snapshots.map((s) => s.snapshotId).slice(0, 2)).toEqual(['manual-2', 'manual-1']);
  expect(snapshots.every((s) => s.createdAt! < before)).toBe(true);
});

test('describeInstance reads the settings a restore copies: security groups, subnet, parameter and option group', async () => {
  const info = await run(rds.describeInstance, { instanceId: 'orders-prod' });
  expect(info?.settings).toMatchObject({
    instanceClass: 'db.t3.micro',
    securityGroupIds: [expect.stringMatching(/^sg-/)],
    dbParameterGroupName: expect.stringMatching(/^default\.postgres/),
    optionGroupName: expect.stringMatching(/^default:postgres/),
  });
});

test('a snapshot id that does not exist is a non-retryable NotFound naming it and the instance', async () => {
  const failure = await failureOf(run(rds.getSnapshot, { snapshotId: 'db-2026-11-20', instanceId: 'orders-prod' }));
  expect(failure.type).toBe('NotFound');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe('rds: snapshot "db-2026-11-20" not found for instance "orders-prod"');
});

test('restores into a new instance tagged with its source, and a repeated restore adopts it', async () => {
  await client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-prod', DBSnapshotIdentifier: 'snap-a' }),
  );
  const target = { snapshotId: 'snap-a', targetInstanceId: 'orders-restored', instanceClass: 'db.t3.small' };
  const first = await run(rds.restoreFromSnapshot, target);
  expect(first).toMatchObject({
    adopted: false,
    instance: { instanceId: 'orders-restored', restoredFrom: 'snapshot:snap-a' },
  });
  const again = await run(rds.restoreFromSnapshot, target);
  expect(again.adopted).toBe(true);
  expect(again.message).toContain('already restored from snapshot "snap-a"');
  expect([...(await moto.instances()).keys()].sort()).toEqual(['orders-prod', 'orders-restored']);
});

test('a target restored from another source is refused with a clear Conflict', async () => {
  for (const id of ['snap-a', 'snap-b']) {
    await client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-prod', DBSnapshotIdentifier: id }));
  }
  await run(rds.restoreFromSnapshot, { snapshotId: 'snap-a', targetInstanceId: 'orders-restored' });
  const failure = await failureOf(
    run(rds.restoreFromSnapshot, { snapshotId: 'snap-b', targetInstanceId: 'orders-restored' }),
  );
  expect(failure.type).toBe('Conflict');
  expect(failure.message).toContain(
    `instance "orders-restored" already exists and was restored from snapshot:snap-a, not from snapshot "snap-b"`,
  );
  const notRestored = await failureOf(
    run(rds.restoreToPointInTime, {
      sourceInstanceId: 'orders-prod',
      restoreTime: 'latest',
      targetInstanceId: 'orders-prod',
    }),
  );
  expect(notRestored.message).toContain('already exists and was not created by a restore');
});

test('a point-in-time restore tags the target with the source and time', async () => {
  const result = await restorePitr();
  expect(result.instance.restoredFrom).toBe('point-in-time:orders-prod@latest');
  expect(SOURCE_TAG).toBe('rollback-orchestrator:restored-from');
});

test('the restorable window reports the latest restorable time', async () => {
  const window = await run(rds.getRestorableWindow, { instanceId: 'orders-prod' });
  expect(Date.parse(window.latest ?? '')).toBeGreaterThan(Date.now() - 60_000);
});

test('the wait polls with backoff and heartbeats until the instance is available', async () => {
  await moto.configure({ seconds: 4 });
  await restorePitr();
  const { run: runWithHeartbeats, heartbeats } = activityEnv();
  const progress = await runWithHeartbeats(rds.waitForInstanceAvailable, waitInput());
  expect(progress).toMatchObject({ status: 'available', available: true, polls: 2 });
  expect(progress.endpoint).toMatch(/^orders-pitr\./);
  expect(heartbeats[0]).toEqual({ status: 'creating', elapsedSeconds: 0, polls: 1 });
  expect(heartbeats.at(-1)).toMatchObject({ status: 'available', polls: 2 });
});

test('a retried wait resumes its poll count from the last heartbeat', async () => {
  const { run: resumed } = activityEnv({ status: 'creating', elapsedSeconds: 300, polls: 17 });
  const progress = await resumed(
    rds.waitForInstanceAvailable,
    waitInput({ instanceId: 'orders-prod', polls: 12, pollWindowSeconds: 0 }),
  );
  expect(progress).toMatchObject({ available: true, polls: 18 });
});

test('one poll per call when the window is 0: reports progress without waiting', async () => {
  await moto.configure({ seconds: 60 });
  await restorePitr();
  const progress = await run(
    rds.waitForInstanceAvailable,
    waitInput({ waitStartedAtMs: Date.now() - 30_000, polls: 3, maxWaitSeconds: 3600, pollWindowSeconds: 0 }),
  );
  expect(progress).toMatchObject({ status: 'creating', available: false, polls: 4 });
  expect(progress.elapsedSeconds).toBeGreaterThanOrEqual(30);
});

test('an instance that ends in failed fails the wait non-retryably', async () => {
  await moto.configure({ seconds: 0, outcome: 'failed' });
  await restorePitr();
  const failure = await failureOf(run(rds.waitForInstanceAvailable, waitInput()));
  expect(failure.type).toBe('TerminalState');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/instance "orders-pitr" is "failed" after \d+s; it will not become available/);
});

test('a wait past its overall limit fails non-retryably', async () => {
  await moto.configure({ seconds: 600 });
  await restorePitr();
  const failure = await failureOf(
    run(
      rds.waitForInstanceAvailable,
      waitInput({
        waitStartedAtMs: Date.now() - 3 * 3600_000,
        polls: 100,
        maxWaitSeconds: 10_800,
        pollWindowSeconds: 0,
      }),
    ),
  );
  expect(failure.type).toBe('WaitLimitExceeded');
  expect(failure.message).toContain('still "creating" after 10800s (limit 10800s)');
});
