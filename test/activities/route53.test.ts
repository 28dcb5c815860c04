// Route53 activities against moto.
import { Route53Client } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { createRoute53Activities } from '../../src/activities/route53.js';
import { seedHostedZone } from '../../src/demo/seedRoute53.js';
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

test('an UPSERT to the values the record already holds changes nothing', async () => {
  const record = { hostedZoneId: zoneId, name: 'api.example.com', type: 'A' as const, ttl: 60, values: ['192.0.2.20'] };
  const result = await run(route53.upsertRecordSet, record);
  expect(result).toMatchObject({ changed: false });
  expect(result.changeId).toBeUndefined();
});

test('an UPSERT changes the record and its change becomes INSYNC', async () => {
  const record = { hostedZoneId: zoneId, name: 'api.example.com', type: 'A' as const, ttl: 60, values: ['192.0.2.10'] };
  const result = await run(route53.upsertRecordSet, record);
  expect(result.changed).toBe(true);
  expect(await run(route53.waitForChangeInSync, { changeId: result.changeId!, timeoutSeconds: 10 })).toEqual({
    status: 'INSYNC',
  });
  expect((await run(route53.getRecordSet, record))?.values).toEqual(['192.0.2.10']);
});

test('a zone that does not exist is a non-retryable NotFound naming the record and zone', async () => {
  const error = await run(route53.getRecordSet, { hostedZoneId: 'ZNOTHERE', name: 'api.example.com', type: 'A' }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).type).toBe('NotFound');
  expect((error as ApplicationFailure).message).toContain('route53: record api.example.com. A in zone "ZNOTHERE"');
});
