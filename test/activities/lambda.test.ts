import { LambdaClient } from '@aws-sdk/client-lambda';
import { ApplicationFailure } from '@temporalio/common';
import { createLambdaActivities } from '../../src/activities/lambda.js';
import { seedLambdaFunction } from '../../src/demo/seedLambda.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { runActivity } from '../support/activityContext.js';

let moto: MotoServer;
let activities: ReturnType<typeof createLambdaActivities>;
let client: LambdaClient;
const run = runActivity;

beforeAll(async () => {
  moto = await startMoto();
  client = new LambdaClient({ endpoint: moto.endpoint, region: moto.region });
  activities = createLambdaActivities(client);
});
afterAll(async () => {
  client.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  await seedLambdaFunction(moto, 'checkout-api');
});

test('lists the published versions and $LATEST', async () => {
  const versions = await run(activities.listLambdaVersions, 'checkout-api');
  expect(versions.map((v) => v.version)).toEqual(['$LATEST', '1', '2', '3']);
  expect(versions[2]?.description).toBe('release 2');
});

test('moves the alias and reports where it came from', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production' };
  const result = await run(activities.updateLambdaAlias, { ...ref, toVersion: '2' });
  expect(result).toMatchObject({ changed: true, fromVersion: '3', toVersion: '2' });
  expect((await run(activities.getLambdaAlias, ref)).functionVersion).toBe('2');
});

test('moving an alias that already points at the target changes nothing and says so', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production', toVersion: '3' };
  const result = await run(activities.updateLambdaAlias, ref);
  expect(result.changed).toBe(false);
  expect(result.message).toBe('alias "production" of "checkout-api" already points at version 3');
});

test.each([
  ['listLambdaVersions', () => run(activities.listLambdaVersions, 'no-such-function')],
  ['getLambdaAlias', () => run(activities.getLambdaAlias, { functionName: 'no-such-function', alias: 'production' })],
])('%s of a missing function is a non-retryable NotFound naming the function', async (_name, call) => {
  const failure = await call().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).type).toBe('NotFound');
  expect((failure as ApplicationFailure).message).toContain('function "no-such-function"');
});
