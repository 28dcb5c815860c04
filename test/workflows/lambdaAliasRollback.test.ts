import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
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
  expect(result).toMatchObject({
    fromVersion: '3',
    toVersion: '2',
    from: 'version 3',
    to: 'version 2',
    changed: true,
    verified: true,
    dryRun: false,
    message: 'alias "production" of "checkout-api" moved from version 3 to 2',
    lastRollback: { from: 'version 3', by: `lambda-${n}` },
  });
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

test('dry run reports the plan and its pin, and changes nothing', async () => {
  const result = await execute({ functionName: 'checkout-api', dryRun: true });
  expect(result).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    fromVersion: '3',
    toVersion: '2',
    from: 'version 3',
    to: 'version 2',
    pin: { fromVersion: '3', toVersion: '2' },
  });
  expect(result.lastRollback).toBeUndefined();
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

describe('rollback guard', () => {
  test('re-running the rollback does not walk the alias further back onto a marked version', async () => {
    await execute({ functionName: 'checkout-api' });
    const failure = await failureOf({ functionName: 'checkout-api', toVersion: 3 });
    expect(failure).toMatchObject({ type: 'MarkedTarget', nonRetryable: true });
    expect(failure.message).toContain('version 3 of function "checkout-api" was rolled back from');
    expect(failure.message).toContain('tag rollback-orchestrator.io/rolled-back-from.production=versions=3 at=');
    expect(failure.message).toContain('allowMarkedTarget');
    expect(await aliasVersion(moto, 'checkout-api')).toBe('2');
  });

  test('the plan of a move onto a marked version is refused already', async () => {
    await execute({ functionName: 'checkout-api' });
    const failure = await failureOf({ functionName: 'checkout-api', toVersion: 3, dryRun: true });
    expect(failure).toMatchObject({ type: 'MarkedTarget', nonRetryable: true });
  });

  test('allowMarkedTarget moves onto a marked version', async () => {
    await execute({ functionName: 'checkout-api' });
    const result = await execute({ functionName: 'checkout-api', toVersion: 3, allowMarkedTarget: true });
    expect(result).toMatchObject({ fromVersion: '2', toVersion: '3', changed: true, verified: true });
    expect(await aliasVersion(moto, 'checkout-api')).toBe('3');
  });

  test('the plan after a rollback reports it as lastRollback', async () => {
    const rollback = await execute({ functionName: 'checkout-api' });
    const plan = await execute({ functionName: 'checkout-api', dryRun: true });
    expect(plan.lastRollback).toEqual({ at: expect.any(String), from: 'version 3', by: `lambda-${n - 1}` });
    expect(plan.lastRollback).toEqual(rollback.lastRollback);
    expect(Date.parse(plan.lastRollback!.at)).not.toBeNaN();
  });

  test('the automatic choice skips a version the alias was rolled back from', async () => {
    await seedLambdaFunction(moto, 'search-api', { versionCount: 4 });
    await execute({ functionName: 'search-api', toVersion: 3 }); // 4 -> 3: 4 is marked
    await execute({ functionName: 'search-api', toVersion: 4, allowMarkedTarget: true }); // 3 -> 4: 3 is marked
    const result = await execute({ functionName: 'search-api' });
    expect(result).toMatchObject({ fromVersion: '4', toVersion: '2' });
  });
});

describe('plan, pin, apply', () => {
  test("an apply with the plan's pin moves to exactly the pinned version", async () => {
    const plan = await execute({ functionName: 'checkout-api', dryRun: true });
    const result = await execute({ functionName: 'checkout-api', pin: plan.pin });
    expect(result).toMatchObject({ fromVersion: '3', toVersion: '2', changed: true, verified: true });
    expect(await aliasVersion(moto, 'checkout-api')).toBe('2');
  });

  test('an apply whose alias moved since the plan fails with TargetChanged and changes nothing', async () => {
    const plan = await execute({ functionName: 'checkout-api', dryRun: true });
    await execute({ functionName: 'checkout-api', toVersion: 1 });
    const failure = await failureOf({ functionName: 'checkout-api', pin: plan.pin });
    expect(failure).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect(failure.message).toContain('points at version 1, not the planned version 3 (plan: 3 to 2)');
    expect(await aliasVersion(moto, 'checkout-api')).toBe('1');
  });

  test('a pinned apply never re-chooses "previous": a second apply of the same pin changes nothing', async () => {
    const plan = await execute({ functionName: 'checkout-api', dryRun: true });
    const first = await execute({ functionName: 'checkout-api', pin: plan.pin });
    const again = await execute({ functionName: 'checkout-api', pin: plan.pin });
    expect(again).toMatchObject({ changed: false, verified: true, toVersion: '2' });
    expect(again.lastRollback).toEqual(first.lastRollback);
    expect(await aliasVersion(moto, 'checkout-api')).toBe('2');
  });

  test('a pin that is not a plan is refused, naming the field', async () => {
    const failure = await failureOf({ functionName: 'checkout-api', pin: { fromVersion: '3' } });
    expect(failure.type).toBe('InvalidInput');
    expect(failure.message).toBe('lambdaAliasRollback: invalid input: pin.toVersion: Required');
    expect(await aliasVersion(moto, 'checkout-api')).toBe('3');
  });
});
