import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../src/demo/seedLambda.js';
import { aliasVersion } from '../support/aws.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let worker: Worker;
let taskQueue: string;
let run: Promise<void>;
let n = 0;

beforeAll(async () => {
  [env, moto] = await Promise.all([startTimeSkipping(), startMoto()]);
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  run = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await run;
  await Promise.all([env?.teardown(), moto?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  await seedLambdaFunction(moto, 'checkout-api');
});

function execute(input: unknown) {
  n += 1;
  return env.client.workflow.execute('lambdaAliasRollback', { args: [input], taskQueue, workflowId: `lambda-${n}` });
}

async function failureOf(input: unknown): Promise<ApplicationFailure> {
  const error = await execute(input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

test('rolls the alias back to the previous version and verifies it', async () => {
  const result = await execute({ functionName: 'checkout-api' });
  expect(result).toMatchObject({ fromVersion: '3', toVersion: '2', changed: true, verified: true, dryRun: false });
  expect(await aliasVersion(moto, 'checkout-api')).toBe('2');
});

test('rolls the alias back to a given version', async () => {
  const result = await execute({ functionName: 'checkout-api', alias: 'production', toVersion: '1' });
  expect(result).toMatchObject({ fromVersion: '3', toVersion: '1', changed: true, verified: true });
  expect(await aliasVersion(moto, 'checkout-api')).toBe('1');
});

test('a given version the alias already points at is a no-op that says so', async () => {
  const result = await execute({ functionName: 'checkout-api', toVersion: 3 });
  expect(result).toMatchObject({
    changed: false,
    verified: true,
    message: expect.stringContaining('already points at version 3'),
  });
});

test('dry run reports the plan and changes nothing', async () => {
  const result = await execute({ functionName: 'checkout-api', dryRun: true });
  expect(result).toMatchObject({ dryRun: true, changed: false, fromVersion: '3', toVersion: '2' });
  expect(result.message).toContain('would move alias "production" of "checkout-api" from version 3 to 2');
  expect(await aliasVersion(moto, 'checkout-api')).toBe('3');
});

test('a missing functionName fails at once, non-retryably, naming the field', async () => {
  const failure = await failureOf({ alias: 'production' });
  expect(failure.type).toBe('InvalidInput');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe('lambdaAliasRollback: invalid input: functionName: Required');
  expect(await aliasVersion(moto, 'checkout-api')).toBe('3');
});

test('a version that does not exist fails non-retryably naming it, and changes nothing', async () => {
  const failure = await failureOf({ functionName: 'checkout-api', toVersion: '9' });
  expect(failure.type).toBe('NotFound');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('version "9" (toVersion) not found for function "checkout-api"');
  expect(await aliasVersion(moto, 'checkout-api')).toBe('3');
});

test('an alias on the first version has nothing to roll back to', async () => {
  await execute({ functionName: 'checkout-api', toVersion: '1' });
  const failure = await failureOf({ functionName: 'checkout-api' });
  expect(failure.message).toContain('has no published version before 1');
});

test('a function that does not exist fails non-retryably with its name', async () => {
  const failure = await failureOf({ functionName: 'payments-api' });
  expect(failure.type).toBe('NotFound');
  expect(failure.message).toContain('"payments-api"');
});
