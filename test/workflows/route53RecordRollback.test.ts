// The DNS rollback on the time-skipping server with real activities against moto.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { Route53Client, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { seedHostedZone } from '../../tools/demo/seedRoute53.js';
import type { Route53RecordRollbackResult } from '../../src/workflows/route53RecordRollback.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let zoneId: string;
let n = 0;

beforeAll(async () => {
  [env, moto] = await Promise.all([startTimeSkipping(), startMoto()]);
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await Promise.all([env?.teardown(), moto?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  zoneId = await seedHostedZone(moto, 'example.com', [
    { name: 'api.example.com', type: 'A', ttl: 60, values: ['192.0.2.20'] },
    { name: 'www.example.com', type: 'CNAME', ttl: 300, values: ['green.example.com'] },
  ]);
});

function execute(input: object): Promise<Route53RecordRollbackResult> {
  n += 1;
  return env.client.workflow.execute('route53RecordRollback', { args: [input], taskQueue, workflowId: `dns-${n}` });
}

/** Reads a record straight from moto, without the code under test. */
async function record(name: string, type: string): Promise<{ ttl?: number; values: string[] }> {
  const client = new Route53Client({ endpoint: moto.endpoint, region: moto.region });
  try {
    const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const found = out.ResourceRecordSets?.find((r) => r.Name === name && r.Type === type);
    return { ttl: found?.TTL, values: (found?.ResourceRecords ?? []).map((r) => r.Value ?? '') };
  } finally {
    client.destroy();
  }
}

test('rolls an A record back to the previous address, keeping its TTL, and verifies it', async () => {
  const result = await execute({
    hostedZoneId: zoneId,
    name: 'api.example.com',
    type: 'A',
    previousValues: ['192.0.2.10'],
  });
  expect(result).toMatchObject({
    from: 'A 192.0.2.20 (ttl 60)',
    to: 'A 192.0.2.10 (ttl 60)',
    fromRecord: { values: ['192.0.2.20'], ttl: 60 },
    toRecord: { values: ['192.0.2.10'], ttl: 60 },
    changed: true,
    verified: true,
    dryRun: false,
  });
  expect(await record('api.example.com.', 'A')).toEqual({ ttl: 60, values: ['192.0.2.10'] });
});

test('runs the verify checks it is given after the change, in a child, and reports them', async () => {
  const changedAt = new Date(Date.now() - 1000).toISOString();
  const result = await execute({
    hostedZoneId: zoneId,
    name: 'api.example.com',
    type: 'A',
    previousValues: ['192.0.2.10'],
    verify: [
      {
        check: 'dnsRecord',
        hostedZoneId: zoneId,
        name: 'api.example.com',
        values: ['192.0.2.10'],
        changedAt,
        previousTtlSeconds: 0,
      },
    ],
  });
  expect(result).toMatchObject({
    changed: true,
    verified: true,
    verification: { verdict: 'healthy', results: [{ check: 'dnsRecord', status: 'passed' }] },
  });
  expect(result.message).toMatch(/; verification healthy: 1 of 1 checks passed$/);
});

test('rolls a CNAME record back to the previous target with a given TTL', async () => {
  const result = await execute({
    hostedZoneId: `/hostedzone/${zoneId}`,
    name: 'www.example.com.',
    type: 'CNAME',
    previousValues: ['blue.example.com'],
    ttl: 60,
  });
  expect(result).toMatchObject({
    from: 'CNAME green.example.com (ttl 300)',
    to: 'CNAME blue.example.com (ttl 60)',
    fromRecord: { values: ['green.example.com'] },
    toRecord: { values: ['blue.example.com'], ttl: 60 },
    verified: true,
  });
  expect(await record('www.example.com.', 'CNAME')).toEqual({ ttl: 60, values: ['blue.example.com'] });
});

test('a record already at the previous value is a reported no-op', async () => {
  const result = await execute({
    hostedZoneId: zoneId,
    name: 'api.example.com',
    type: 'A',
    previousValues: ['192.0.2.20'],
  });
  expect(result).toMatchObject({ changed: false, verified: true });
  expect(result.message).toContain('nothing to change');
  expect(result.verification).toBeUndefined();
});

test('a dry run reports the old and new values and its pin, and changes nothing', async () => {
  const result = await execute({
    hostedZoneId: zoneId,
    name: 'www.example.com',
    type: 'CNAME',
    previousValues: ['blue.example.com'],
    dryRun: true,
  });
  expect(result.message).toBe(
    'dry run: would change www.example.com. CNAME from CNAME green.example.com (ttl 300) to CNAME blue.example.com (ttl 300)',
  );
  expect(result).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    pin: { from: { values: ['green.example.com'], ttl: 300 }, to: { values: ['blue.example.com'], ttl: 300 } },
  });
  expect(await record('www.example.com.', 'CNAME')).toEqual({ ttl: 300, values: ['green.example.com'] });
});

test('a value that is not an address fails at once naming the field, and changes nothing', async () => {
  const error = await execute({
    hostedZoneId: zoneId,
    name: 'api.example.com',
    type: 'A',
    previousValues: ['blue.example.com'],
  }).catch((e: unknown) => e);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('InvalidInput');
  expect(cause.message).toBe(
    'route53RecordRollback: invalid input: previousValues.0: must be an IPv4 address such as 192.0.2.10 (A)',
  );
  expect(await record('api.example.com.', 'A')).toEqual({ ttl: 60, values: ['192.0.2.20'] });
});

describe('plan, pin, apply', () => {
  const rollback = { name: 'api.example.com', type: 'A', previousValues: ['192.0.2.10', '192.0.2.11'] };

  test("an apply with the plan's pin changes the record from the pinned values", async () => {
    const plan = await execute({ hostedZoneId: zoneId, ...rollback, dryRun: true });
    expect(plan).toMatchObject({ from: 'A 192.0.2.20 (ttl 60)', to: 'A 192.0.2.10, 192.0.2.11 (ttl 60)' });
    const result = await execute({ hostedZoneId: zoneId, ...rollback, pin: plan.pin });
    expect(result).toMatchObject({ changed: true, verified: true, from: 'A 192.0.2.20 (ttl 60)' });
    expect(await record('api.example.com.', 'A')).toEqual({ ttl: 60, values: ['192.0.2.10', '192.0.2.11'] });
  });

  test('an apply whose record changed since the plan fails with TargetChanged and leaves it alone', async () => {
    const plan = await execute({ hostedZoneId: zoneId, ...rollback, dryRun: true });
    await execute({ hostedZoneId: zoneId, name: 'api.example.com', type: 'A', previousValues: ['192.0.2.30'] });
    const error = await execute({ hostedZoneId: zoneId, ...rollback, pin: plan.pin }).catch((e: unknown) => e);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect(cause.message).toBe(
      `route53: record api.example.com. A in zone "${zoneId}" holds A 192.0.2.30 (ttl 60), not the planned A 192.0.2.20 (ttl 60); plan again`,
    );
    expect(await record('api.example.com.', 'A')).toEqual({ ttl: 60, values: ['192.0.2.30'] });
  });

  test('a second apply of the same pin is a no-op success', async () => {
    const plan = await execute({ hostedZoneId: zoneId, ...rollback, dryRun: true });
    await execute({ hostedZoneId: zoneId, ...rollback, pin: plan.pin });
    const again = await execute({ hostedZoneId: zoneId, ...rollback, pin: plan.pin });
    expect(again).toMatchObject({ changed: false, verified: true });
  });

  test('a plan for a record that does not exist pins it as absent and the apply creates it', async () => {
    const create = { hostedZoneId: zoneId, name: 'new.example.com', type: 'A', previousValues: ['192.0.2.1'] };
    const plan = await execute({ ...create, dryRun: true });
    expect(plan).toMatchObject({ from: 'no A record', pin: { from: null, to: { values: ['192.0.2.1'], ttl: 300 } } });
    expect(plan.fromRecord).toBeUndefined();
    const result = await execute({ ...create, pin: plan.pin });
    expect(result).toMatchObject({ changed: true, verified: true });
    expect(await record('new.example.com.', 'A')).toEqual({ ttl: 300, values: ['192.0.2.1'] });
  });

  test('a pin for other values than previousValues is refused, naming the field', async () => {
    const plan = await execute({ hostedZoneId: zoneId, ...rollback, dryRun: true });
    const error = await execute({
      hostedZoneId: zoneId,
      ...rollback,
      previousValues: ['192.0.2.99'],
      pin: plan.pin,
    }).catch((e: unknown) => e);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toBe('route53RecordRollback: invalid input: pin.to.values: differ from previousValues');
    expect(await record('api.example.com.', 'A')).toEqual({ ttl: 60, values: ['192.0.2.20'] });
  });
});
