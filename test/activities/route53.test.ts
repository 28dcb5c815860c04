// Route53 activities against moto.
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { createRoute53Activities } from '../../src/activities/route53.js';
import { seedHostedZone } from '../../tools/demo/seedRoute53.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { runActivity } from '../support/activityContext.js';

let moto: MotoServer;
let client: Route53Client;
let route53: ReturnType<typeof createRoute53Activities>;
let zoneId: string;
const run = runActivity;

beforeAll(async () => {
  moto = await startMoto();
  client = new Route53Client({ endpoint: moto.endpoint, region: moto.region });
  route53 = createRoute53Activities(client);
});
afterAll(async () => {
  client.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  zoneId = await seedHostedZone(moto, 'example.com', [
    { name: 'api.example.com', type: 'A', ttl: 60, values: ['192.0.2.20'] },
  ]);
});

test('reads a record set by name and type, and nothing for a name it does not hold', async () => {
  const ref = { hostedZoneId: zoneId, name: 'api.example.com', type: 'A' as const };
  expect(await run(route53.getRecordSet, ref)).toMatchObject({
    name: 'api.example.com.',
    ttl: 60,
    values: ['192.0.2.20'],
  });
  expect(await run(route53.getRecordSet, { ...ref, name: 'www.example.com' })).toBeUndefined();
});

const api = { name: 'api.example.com', type: 'A' as const };

test('a replacement to the values the record already holds changes nothing', async () => {
  const to = { ttl: 60, values: ['192.0.2.20'] };
  const result = await run(route53.replaceRecordSet, { hostedZoneId: zoneId, ...api, from: to, to });
  expect(result).toMatchObject({ changed: false });
  expect(result.message).toContain('already A 192.0.2.20 (ttl 60); nothing to change');
  expect(result.changeId).toBeUndefined();
});

test('a replacement changes the record and its change becomes INSYNC', async () => {
  const change = { hostedZoneId: zoneId, ...api, from: { ttl: 60, values: ['192.0.2.20'] } };
  const result = await run(route53.replaceRecordSet, { ...change, to: { ttl: 60, values: ['192.0.2.10'] } });
  expect(result.changed).toBe(true);
  expect(result.message).toContain('changed from A 192.0.2.20 (ttl 60) to A 192.0.2.10 (ttl 60)');
  expect(await run(route53.waitForChangeInSync, { changeId: result.changeId!, timeoutSeconds: 10 })).toEqual({
    status: 'INSYNC',
  });
  expect(await run(route53.getRecordSet, change)).toMatchObject({ ttl: 60, values: ['192.0.2.10'] });
});

test('a replacement creates a record that does not exist', async () => {
  const change = { hostedZoneId: zoneId, name: 'new.example.com', type: 'A' as const, from: null };
  const result = await run(route53.replaceRecordSet, { ...change, to: { ttl: 300, values: ['192.0.2.1'] } });
  expect(result).toMatchObject({ changed: true, message: expect.stringContaining('from no A record to A 192.0.2.1') });
  expect(await run(route53.getRecordSet, change)).toMatchObject({ ttl: 300, values: ['192.0.2.1'] });
});

test('a record that no longer holds the planned values fails with TargetChanged and is left alone', async () => {
  const change = { hostedZoneId: zoneId, ...api, from: { ttl: 60, values: ['192.0.2.30'] } };
  const error = await run(route53.replaceRecordSet, { ...change, to: { ttl: 60, values: ['192.0.2.10'] } }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
  expect((error as Error).message).toBe(
    `route53: record api.example.com. A in zone "${zoneId}" holds A 192.0.2.20 (ttl 60), not the planned A 192.0.2.30 (ttl 60); plan again`,
  );
  expect(await run(route53.getRecordSet, change)).toMatchObject({ ttl: 60, values: ['192.0.2.20'] });
});

/** Activities whose client makes `concurrent` change (a real one, in moto) just before our change batch. */
function racedBy(concurrent: () => Promise<unknown>) {
  const raced = new Route53Client({ endpoint: moto.endpoint, region: moto.region });
  let done = false;
  raced.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ChangeResourceRecordSetsCommand' && !done) {
        done = true;
        await concurrent();
      }
      return next(args);
    },
    { step: 'initialize', name: 'concurrentChange' },
  );
  return { activities: createRoute53Activities(raced), client: raced };
}

test('a record created by someone else between the read and the batch fails the batch: TargetChanged', async () => {
  // The record was deleted: the plan found it absent and creates it again.
  const gone = { ttl: 60, values: ['192.0.2.20'] };
  await deleteRecord(gone);
  const { activities, client: raced } = racedBy(() => createRecord({ ttl: 60, values: ['192.0.2.30'] }));
  try {
    const error = await run(activities.replaceRecordSet, { hostedZoneId: zoneId, ...api, from: null, to: gone }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect((error as Error).message).toContain('holds A 192.0.2.30 (ttl 60), not the planned no A record');
  } finally {
    raced.destroy();
  }
  expect(await run(route53.getRecordSet, { hostedZoneId: zoneId, ...api })).toMatchObject({ values: ['192.0.2.30'] });
});

test('a batch rejected because the same change already landed is a no-op success (a retry after success)', async () => {
  const gone = { ttl: 60, values: ['192.0.2.20'] };
  await deleteRecord(gone);
  const { activities, client: raced } = racedBy(() => createRecord(gone));
  try {
    const result = await run(activities.replaceRecordSet, { hostedZoneId: zoneId, ...api, from: null, to: gone });
    expect(result).toMatchObject({ changed: false });
  } finally {
    raced.destroy();
  }
});

async function changeRecord(action: 'CREATE' | 'DELETE', record: { ttl: number; values: string[] }) {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: action,
            ResourceRecordSet: {
              Name: 'api.example.com.',
              Type: 'A',
              TTL: record.ttl,
              ResourceRecords: record.values.map((Value) => ({ Value })),
            },
          },
        ],
      },
    }),
  );
}
const createRecord = (record: { ttl: number; values: string[] }) => changeRecord('CREATE', record);
const deleteRecord = (record: { ttl: number; values: string[] }) => changeRecord('DELETE', record);

test('a zone that does not exist is a non-retryable NotFound naming the record and zone', async () => {
  const error = await run(route53.getRecordSet, { hostedZoneId: 'ZNOTHERE', name: 'api.example.com', type: 'A' }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).type).toBe('NotFound');
  expect((error as ApplicationFailure).message).toContain('route53: record api.example.com. A in zone "ZNOTHERE"');
});
