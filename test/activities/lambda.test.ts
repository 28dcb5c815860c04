import { LambdaClient } from '@aws-sdk/client-lambda';
import { ApplicationFailure } from '@temporalio/common';
import { createLambdaActivities } from '../../src/activities/lambda.js';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { formatRollbackMark, parseRollbackMark } from '../../src/domain/lambdaVersions.js';
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
  const result = await run(activities.updateLambdaAlias, { ...ref, fromVersion: '3', toVersion: '2' });
  expect(result).toMatchObject({ changed: true, fromVersion: '3', toVersion: '2' });
  expect((await run(activities.getLambdaAlias, ref)).functionVersion).toBe('2');
});

test('moving an alias that already points at the target changes nothing and says so', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production', fromVersion: '3', toVersion: '3' };
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

test('a retried move after success is a no-op success, even though the alias left the planned version', async () => {
  const move = { functionName: 'checkout-api', alias: 'production', fromVersion: '3', toVersion: '2' };
  await run(activities.updateLambdaAlias, move);
  const retry = await run(activities.updateLambdaAlias, move);
  expect(retry).toMatchObject({ changed: false, toVersion: '2' });
  expect((await run(activities.getLambdaAlias, move)).functionVersion).toBe('2');
});

test('an alias moved by someone else since the plan fails with TargetChanged and is left alone', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production' };
  await run(activities.updateLambdaAlias, { ...ref, fromVersion: '3', toVersion: '1' });
  const failure = await run(activities.updateLambdaAlias, { ...ref, fromVersion: '3', toVersion: '2' }).catch(
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
  expect((failure as Error).message).toContain('moved to version 1 since the plan (version 3 to 2)');
  expect((await run(activities.getLambdaAlias, ref)).functionVersion).toBe('1');
});

test('the alias read carries the RevisionId that makes the update conditional', async () => {
  const alias = await run(activities.getLambdaAlias, { functionName: 'checkout-api', alias: 'production' });
  expect(alias.revisionId).toMatch(/^[0-9a-f-]{36}$/);
});

test('a function without a mark has none; marking tags the function and a re-mark keeps one entry', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production' };
  expect(await run(activities.getLambdaRollbackMark, ref)).toBeUndefined();
  const at = '2026-11-28T03:50:00.000Z';
  await run(activities.markLambdaRollback, { ...ref, fromVersion: '3', at, by: 'incident checkout/42' });
  await run(activities.markLambdaRollback, { ...ref, fromVersion: '3', at, by: 'incident checkout/42' });
  const mark = await run(activities.getLambdaRollbackMark, ref);
  expect(mark).toEqual({
    versions: ['3'],
    at,
    by: 'incident_checkout/42',
    tag: 'rollback-orchestrator.io/rolled-back-from.production',
    value: 'versions=3 at=2026-11-28T03:50:00.000Z by=incident_checkout/42',
  });
  // Another alias of the same function has its own mark.
  expect(await run(activities.getLambdaRollbackMark, { ...ref, alias: 'staging' })).toBeUndefined();
});

test('marks keep every version rolled back from, newest last', async () => {
  const ref = { functionName: 'checkout-api', alias: 'production' };
  await run(activities.markLambdaRollback, { ...ref, fromVersion: '3', at: '2026-11-28T03:50:00.000Z' });
  await run(activities.markLambdaRollback, { ...ref, fromVersion: '2', at: '2026-11-28T04:10:00.000Z', by: 'wf-2' });
  expect(await run(activities.getLambdaRollbackMark, ref)).toMatchObject({
    versions: ['3', '2'],
    at: '2026-11-28T04:10:00.000Z',
    by: 'wf-2',
  });
});

test('a mark value stays within Lambda tag limits, forgetting the oldest versions first', () => {
  const versions = Array.from({ length: 80 }, (_, i) => String(1000 + i));
  const value = formatRollbackMark({ versions, at: '2026-11-28T03:50:00.000Z', by: 'x'.repeat(300) + ' é,;' });
  expect(value.length).toBeLessThanOrEqual(256);
  expect(value).toMatch(/^[A-Za-z0-9 _.:/=+\-@]*$/);
  const parsed = parseRollbackMark(value);
  expect(parsed?.versions[parsed.versions.length - 1]).toBe('1079');
  expect(parsed?.versions).not.toContain('1000');
});
