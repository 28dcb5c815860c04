// The snapshot restore on the time-skipping server, with real activities against moto (through
// the slow-RDS launcher) and a real PostgreSQL for the verification queries.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RestoreResult, RestoreStatus } from '../../src/domain/restoreProgress.js';
import { runHistories, runHistoryLengths } from '../../tools/histories.js';
import { startRestoreTestbed, type RestoreTestbed } from '../support/restoreTestbed.js';
import { orStallReport } from '../support/stall.js';

let t: RestoreTestbed;
let n = 0;

beforeAll(async () => {
  t = await startRestoreTestbed();
});
afterAll(async () => {
  await t?.stop();
});
beforeEach(async () => {
  await t.resetRds(['orders-2026-11-20', 'orders-2026-11-21']);
});

function start(input: object): Promise<WorkflowHandle> {
  n += 1;
  return t.env.client.workflow.start('rdsSnapshotRestore', {
    args: [input],
    taskQueue: t.taskQueue,
    workflowId: `snapshot-restore-${n}`,
  });
}

async function failureOf(input: object): Promise<ApplicationFailure> {
  const error = await (await start(input)).result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

test('restores the newest snapshot into a new instance, waits for it and runs the verification queries', async () => {
  await t.moto.configure({ seconds: 2 });
  const handle = await start({
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders-restored',
    instanceClass: 'db.t3.small',
    securityGroupIds: ['sg-0123'],
    verify: t.verify(),
  });
  const result = (await handle.result()) as RestoreResult;
  expect(result).toMatchObject({
    dryRun: false,
    changed: true,
    verified: true,
    from: expect.stringMatching(/^instance "orders-prod" \(orders-prod\./),
    to: expect.stringMatching(/^instance "orders-restored" \(orders-restored\./),
    adopted: false,
    plan: { source: { kind: 'snapshot', snapshotId: 'orders-2026-11-21' }, targetInstanceId: 'orders-restored' },
    instance: {
      instanceId: 'orders-restored',
      status: 'available',
      endpoint: expect.stringMatching(/^orders-restored\./),
    },
    checks: [
      { check: 'critical rows', passed: true, observed: '42' },
      { check: 'schema version', passed: true, observed: '20261115000000' },
    ],
  });
  expect(result.plan.snapshots?.map((s) => s.snapshotId).slice(0, 2)).toEqual([
    'orders-2026-11-21',
    'orders-2026-11-20',
  ]);
  expect(result.polls).toBeGreaterThanOrEqual(1);
  expect(await t.moto.instances()).toEqual(
    new Map([
      ['orders-prod', 'available'],
      ['orders-restored', 'available'],
    ]),
  );
  const status = await handle.query<RestoreStatus>('status');
  expect(status).toMatchObject({ phase: 'completed', instance: { status: 'available' } });
  // The password is read by the worker from its environment: it never enters the history.
  const history = JSON.stringify(await handle.fetchHistory());
  expect(history).not.toContain(t.pgServer.password);
});

test('restores a given snapshot', async () => {
  const result = (await (
    await start({ sourceInstanceId: 'orders-prod', snapshotId: 'orders-2026-11-20', targetInstanceId: 'orders-old' })
  ).result()) as RestoreResult;
  expect(result.plan.source).toEqual({ kind: 'snapshot', snapshotId: 'orders-2026-11-20' });
  expect((await t.moto.instances()).get('orders-old')).toBe('available');
});

test('a snapshot id that does not exist fails at once, non-retryably, and creates nothing', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    snapshotId: 'db-2026-11-20',
    targetInstanceId: 'orders-restored',
  });
  expect(failure.type).toBe('NotFound');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe('rds: snapshot "db-2026-11-20" not found for instance "orders-prod"');
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('a restore that ends in failed fails the workflow non-retryably and the status says so', async () => {
  await t.moto.configure({ seconds: 0, outcome: 'failed' });
  const handle = await start({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored' });
  const error = await handle.result().catch((e: unknown) => e);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('TerminalState');
  expect(cause.message).toMatch(
    /^rds: instance "orders-restored" is "failed" after \d+s; it will not become available$/,
  );
  const status = await handle.query<RestoreStatus>('status');
  expect(status).toMatchObject({
    phase: 'failed',
    instance: { instanceId: 'orders-restored', status: 'failed', polls: 1 },
  });
  expect(status.error).toContain('is "failed"');
});

test('a dry run reports the snapshot, the new instance and its endpoint, and creates nothing', async () => {
  const result = (await (
    await start({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored', dryRun: true })
  ).result()) as RestoreResult;
  expect(result).toMatchObject({
    dryRun: true,
    plan: { source: { snapshotId: 'orders-2026-11-21' }, targetInstanceId: 'orders-restored' },
  });
  expect(result.message).toBe(
    'dry run: would restore snapshot "orders-2026-11-21" into new instance "orders-restored" (endpoint orders-restored.aaaaaaaaaa.us-east-1.rds.amazonaws.com)',
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('a bad input fails at once naming the field, and creates nothing', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders--restored',
    maxWaitSeconds: -1,
  });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.message).toBe(
    'rdsSnapshotRestore: invalid input: targetInstanceId: must be an RDS instance identifier: a letter first, then letters, digits and single hyphens, at most 63; maxWaitSeconds: Number must be greater than 0',
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('picks the newest snapshot created before `before`, not one taken after the corruption was detected', async () => {
  const times = await t.snapshotTimes();
  const before = times.get('orders-2026-11-21')!; // the second snapshot was taken at the detection
  const result = (await (
    await start({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored', before })
  ).result()) as RestoreResult;
  expect(result.plan).toMatchObject({ before, source: { snapshotId: 'orders-2026-11-20' } });
  expect(result.plan.snapshots?.map((s) => s.snapshotId)).not.toContain('orders-2026-11-21');
});

test('no snapshot before `before` fails naming the time, and creates nothing', async () => {
  // moto's automated snapshot, taken when the instance was created, is the oldest.
  const before = [...(await t.snapshotTimes()).values()].sort()[0]!;
  const failure = await failureOf({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored', before });
  expect(failure.type).toBe('NotFound');
  expect(failure.message).toBe(
    `rds: instance "orders-prod" has no available snapshot created before ${before} to restore from`,
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('an explicit snapshot created at or after `before` is refused, and nothing is created', async () => {
  const times = await t.snapshotTimes();
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    snapshotId: 'orders-2026-11-21',
    targetInstanceId: 'orders-restored',
    before: times.get('orders-2026-11-21'),
  });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    `rds: snapshot "orders-2026-11-21" was created at ${times.get('orders-2026-11-21')}, not before before=${times.get('orders-2026-11-21')} (the corruption's detection: it may hold bad data); give an earlier snapshotId, or a later before if the data was still good then`,
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test("the restored instance gets the source's security groups, subnet group, parameter and option group", async () => {
  const source = await t.seedNetworkedSource();
  expect(source).toMatchObject({ subnetGroupName: 'orders-private', dbParameterGroupName: 'orders-params' });
  await (await start({ sourceInstanceId: 'orders-vpc', targetInstanceId: 'orders-vpc-restored' })).result();
  expect(await t.settingsOf('orders-vpc-restored')).toEqual(source);
});

test("given settings win over the source's", async () => {
  const source = await t.seedNetworkedSource();
  await (
    await start({
      sourceInstanceId: 'orders-vpc',
      targetInstanceId: 'orders-vpc-restored',
      securityGroupIds: ['sg-0other'],
    })
  ).result();
  expect(await t.settingsOf('orders-vpc-restored')).toEqual({ ...source, securityGroupIds: ['sg-0other'] });
});

test('a dry run pins the snapshot and the target; the apply restores exactly those, whatever came since', async () => {
  const plan = (await (await start({ sourceInstanceId: 'orders-prod', dryRun: true })).result()) as RestoreResult;
  expect(plan).toMatchObject({ dryRun: true, changed: false, verified: false });
  expect(plan.pin).toEqual({
    snapshotId: 'orders-2026-11-21',
    targetInstanceId: expect.stringMatching(/^orders-prod-restored-\d{12}$/),
  });
  // A newer snapshot appears while the plan waits for approval; the apply runs later.
  await t.seedSnapshot('orders-prod', 'orders-2026-11-22');
  const applied = (await (await start({ sourceInstanceId: 'orders-prod', pin: plan.pin })).result()) as RestoreResult;
  expect(applied.plan).toMatchObject({
    source: { snapshotId: 'orders-2026-11-21' },
    targetInstanceId: plan.pin!.targetInstanceId,
  });
  expect((await t.moto.instances()).get(plan.pin!.targetInstanceId)).toBe('available');
});

test('a pin that contradicts the input is refused naming both, and creates nothing', async () => {
  const failure = await failureOf({
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders-restored',
    pin: { snapshotId: 'orders-2026-11-20', targetInstanceId: 'orders-other' },
  });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.message).toBe(
    'rds: pin.targetInstanceId "orders-other" differs from targetInstanceId "orders-restored"',
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});

test('a 60-minute restore is tracked to the end with every run of its history under 50 events', async () => {
  await t.moto.configure({ seconds: 3600 });
  const handle = await start({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored' });
  // Temporal's clock and the launcher's move together, five minutes at a time.
  let midway: RestoreStatus | undefined;
  for (let minute = 5; minute <= 65; minute += 5) {
    await orStallReport(t.env.sleep('5 minutes'), handle, 30_000);
    await t.moto.advance(300);
    if (minute === 30) midway = await handle.query<RestoreStatus>('status');
  }
  const result = (await orStallReport(handle.result(), handle, 30_000)) as RestoreResult;
  expect(midway).toMatchObject({ phase: 'waiting', instance: { instanceId: 'orders-restored', status: 'creating' } });
  expect(midway!.instance!.elapsedSeconds).toBeGreaterThanOrEqual(25 * 60);
  expect(midway!.run).toBeGreaterThan(1);
  expect(result.waitedSeconds).toBeGreaterThanOrEqual(3600);
  expect(result.waitedSeconds).toBeLessThan(3600 + 5 * 60 + 60);
  const lengths = await runHistoryLengths(t.env.client, handle.workflowId);
  expect(lengths.length).toBeGreaterThan(5);
  expect(Math.max(...lengths)).toBeLessThan(50);
  // Each continued run gets the public input unchanged and the wait's state as its second argument.
  const startArgs = (await runHistories(t.env.client, handle.workflowId)).map((events) =>
    (events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []).map(
      (p) => JSON.parse(Buffer.from(p.data!).toString()) as Record<string, unknown>,
    ),
  );
  const first = startArgs.pop()!;
  expect(first).toEqual([{ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored' }]);
  for (const [input, resume] of startArgs) {
    expect(input).not.toHaveProperty('resume');
    expect(input).toMatchObject({ sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored' });
    expect(resume).toMatchObject({ plan: { targetInstanceId: 'orders-restored' }, run: expect.any(Number) });
  }
});
