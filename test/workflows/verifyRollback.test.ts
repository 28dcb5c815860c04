// The verifyRollback workflow on the time-skipping server with real sources (an HTTP server,
// moto): checks in parallel, each retried within its own limit, one verdict; and the Lambda
// procedure running it after moving the alias.
import { PutMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import type { VerifyRollbackResult } from '../../src/workflows/verifyRollback.js';
import { aliasVersion } from '../support/aws.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let receiver: HttpReceiver;
let worker: Worker;
let taskQueue: string;
let run: Promise<void>;
let n = 0;

beforeAll(async () => {
  [env, moto, receiver] = await Promise.all([startTimeSkipping(), startMoto(), startHttpReceiver()]);
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  run = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await run;
  await Promise.all([env?.teardown(), moto?.stop(), receiver?.close()]);
});

function execute<T = VerifyRollbackResult>(type: string, input: unknown): Promise<T> {
  n += 1;
  return env.client.workflow.execute(type, { args: [input], taskQueue, workflowId: `verify-${n}` });
}

test('every check passing is healthy; each result has the one shape', async () => {
  receiver.answer('/ok', 200);
  const result = await execute('verifyRollback', {
    checks: [
      { check: 'httpHealth', url: `${receiver.url}/ok`, consecutive: 3, intervalSeconds: 5 },
      { check: 'errorRate', source: { type: 'healthUrl', url: `${receiver.url}/health` }, consecutive: 2 },
    ],
    reason: 'after release 1.2 was rolled back',
    requestedBy: 'alice',
  });
  expect(result).toMatchObject({ verdict: 'healthy', requestedBy: 'alice', message: 'healthy: 2 of 2 checks passed' });
  for (const r of result.results) {
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['check', 'target', 'passed', 'observed', 'expected', 'at']));
  }
  expect(result.results[0]).toMatchObject({ check: 'httpHealth', status: 'passed', readings: 3 });
  expect(result.results[0]!.detail).toBe('3 passing readings in a row');
});

test('a failing check makes it unhealthy after retrying within its limit; an unreadable one alone is not verified', async () => {
  receiver.answer('/down', 502);
  const unhealthy = await execute('verifyRollback', {
    checks: [
      { check: 'httpHealth', url: `${receiver.url}/down`, timeoutSeconds: 60, intervalSeconds: 10 },
      { check: 'terraformPlanClean', workingDirectory: 'infra' },
    ],
  });
  expect(unhealthy.verdict).toBe('unhealthy');
  expect(unhealthy.results[0]).toMatchObject({ status: 'failed', observed: 'HTTP 502' });
  // A reading every 10 s within 60 s: 6 readings (each takes a moment, so a 7th would end past the limit).
  expect(unhealthy.results[0]!.readings).toBe(6);
  expect(unhealthy.results[0]!.detail).toContain(
    'not 3 passing readings in a row within 60 s (6 readings, 0 unreadable)',
  );

  const notVerified = await execute('verifyRollback', {
    checks: [
      { check: 'httpHealth', url: `${receiver.url}/ok`, consecutive: 1 },
      { check: 'terraformPlanClean', workingDirectory: 'infra', timeoutSeconds: 20 },
    ],
  });
  expect(notVerified.verdict).toBe('not-verified');
  expect(notVerified.results[1]).toMatchObject({ status: 'unreadable', passed: false });
});

test('bad input fails at once naming the check and field', async () => {
  const error = await execute('verifyRollback', { checks: [{ check: 'httpHealth', url: 'not a url' }] }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause?.message).toBe(
    'verifyRollback: invalid input: checks.0.url: must be a URL',
  );
});

describe('lambdaAliasRollback runs its verify checks after moving the alias', () => {
  const cloudwatch = () => new CloudWatchClient({ endpoint: moto.endpoint, region: moto.region });
  const errorRate = (fn: string) => ({
    check: 'errorRate',
    consecutive: 1,
    timeoutSeconds: 30,
    source: {
      type: 'cloudwatch',
      queries: [
        {
          id: 'pct',
          metric: {
            namespace: 'Test/Lambda',
            metricName: 'ErrorRatePct',
            dimensions: { FunctionName: fn },
            stat: 'Average',
          },
        },
      ],
    },
  });
  const put = (fn: string, value: number) =>
    cloudwatch().send(
      new PutMetricDataCommand({
        Namespace: 'Test/Lambda',
        MetricData: [
          {
            MetricName: 'ErrorRatePct',
            Dimensions: [{ Name: 'FunctionName', Value: fn }],
            Value: value,
            Timestamp: new Date(),
          },
        ],
      }),
    );

  test('healthy checks: verified, with the report', async () => {
    await seedLambdaFunction(moto, 'verify-ok');
    await put('verify-ok', 0.1);
    const result = await execute<Record<string, unknown>>('lambdaAliasRollback', {
      functionName: 'verify-ok',
      verify: [errorRate('verify-ok')],
    });
    expect(result).toMatchObject({ toVersion: '2', verified: true, verification: { verdict: 'healthy' } });
    expect(await aliasVersion(moto, 'verify-ok')).toBe('2');
  });

  test('errors still high: the alias moved, but the result is not verified and says why', async () => {
    await seedLambdaFunction(moto, 'verify-bad');
    await put('verify-bad', 9);
    const result = await execute<Record<string, unknown>>('lambdaAliasRollback', {
      functionName: 'verify-bad',
      verify: [errorRate('verify-bad')],
    });
    expect(result).toMatchObject({ changed: true, verified: false, verification: { verdict: 'unhealthy' } });
    expect(result.message).toContain('verification unhealthy: 0 of 1 checks passed; errorRate failed (9%)');
  });
});
