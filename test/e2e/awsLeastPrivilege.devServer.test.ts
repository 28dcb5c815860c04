// Least privilege, proved (issue 14), AWS side: moto with IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT)
// and the compiled worker whose only AWS credentials are the access key of an IAM user holding
// exactly deploy/aws/iam-policy.json. Every AWS procedure and check passes; the policy without
// lambda:UpdateAlias fails the Lambda rollback once, naming the action, and changes nothing.
//
// What moto checks: the action of each request (service:Operation) against the user's policies,
// with Resource "*". It names CloudWatch actions `monitoring:*` (the signing name), so moto gets
// the policy with that prefix rewritten (asMotoNamesActions). It does not check the actions an
// operation needs besides its own (lambda:ListTags for GetFunction's tags, rds:AddTagsToResource
// for restores with tags): those two are in the policy from AWS's documentation, not proved here.
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateDBSnapshotCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { seedHostedZone } from '../../tools/demo/seedRoute53.js';
import {
  asMotoNamesActions,
  committedPolicy,
  policyWithout,
  startIamMoto,
  type AwsAs,
  type IamMoto,
} from '../support/iam.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  ensureCluster,
  kubectl,
  kubectlJson,
} from '../support/kubernetes.js';
import { startWorkerProcess, type RunningProcess } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let iam: IamMoto;
let orchestrator: AwsAs;
let kubeconfigPath: string;
let namespace: string | undefined;
let taskQueue: string;
const workers: RunningProcess[] = [];
let n = 0;

/** The compiled worker whose only AWS credentials are `user`'s access key. */
async function workerAs(user: AwsAs): Promise<string> {
  const queue = uniqueTaskQueue('iam');
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: queue,
    AWS_ENDPOINT_URL: user.endpoint,
    AWS_REGION: user.region,
    AWS_ACCESS_KEY_ID: user.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.credentials.secretAccessKey,
    KUBECONFIG: kubeconfigPath,
    LOG_LEVEL: 'info',
  });
  workers.push(worker);
  await worker.waitForOutput(/worker started/);
  return queue;
}

beforeAll(async () => {
  let cluster: { kubeconfigPath: string };
  [env, iam, cluster] = await Promise.all([startDevServer(), startIamMoto(), ensureCluster()]);
  kubeconfigPath = cluster.kubeconfigPath;
  orchestrator = await iam.userWith('rollback-orchestrator', asMotoNamesActions(committedPolicy()));
  taskQueue = await workerAs(orchestrator);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGINT')));
  if (namespace) await deleteTestNamespace(namespace);
  await Promise.all([env?.teardown(), iam?.stop()]);
});

function start(type: string, input: object, queue = taskQueue): Promise<WorkflowHandle> {
  n += 1;
  return env.client.workflow.start(type, { args: [input], taskQueue: queue, workflowId: `iam-${type}-${n}` });
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each procedure's own result type
const run = async (type: string, input: object): Promise<any> => (await start(type, input)).result();

async function aliasVersion(functionName: string): Promise<string | undefined> {
  const lambda = new LambdaClient(iam.admin);
  try {
    return (await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: 'production' }))).FunctionVersion;
  } finally {
    lambda.destroy();
  }
}

async function tagsOf(functionName: string): Promise<Record<string, string>> {
  const lambda = new LambdaClient(iam.admin);
  try {
    return (await lambda.send(new GetFunctionCommand({ FunctionName: functionName }))).Tags ?? {};
  } finally {
    lambda.destroy();
  }
}

test('moto enforces the policy: an action it does not list is refused to the user', async () => {
  const rds = new RDSClient({ ...orchestrator, maxAttempts: 1 });
  try {
    const error = await rds
      .send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'any', DBSnapshotIdentifier: 'any-snap' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toContain('is not authorized to perform: rds:CreateDBSnapshot');
    // What the policy lists is allowed.
    await expect(rds.send(new DescribeDBInstancesCommand({}))).resolves.toBeDefined();
  } finally {
    rds.destroy();
  }
});

test('lambdaAliasRollback: versions, alias, the rollback mark tag and the alias update', async () => {
  await seedLambdaFunction(iam.admin, 'orders-api');
  expect(await run('lambdaAliasRollback', { functionName: 'orders-api' })).toMatchObject({
    fromVersion: '3',
    toVersion: '2',
    changed: true,
    verified: true,
  });
  expect(await aliasVersion('orders-api')).toBe('2');
  expect(Object.keys(await tagsOf('orders-api')).some((k) => k.startsWith('rollback-orchestrator'))).toBe(true);
});

test('route53RecordRollback with its dnsRecord check: read, UPSERT, wait for INSYNC, read again', async () => {
  const zoneId = await seedHostedZone(iam.admin, 'example.com', [
    { name: 'api.example.com', type: 'A', ttl: 60, values: ['192.0.2.20'] },
  ]);
  const result = await run('route53RecordRollback', {
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
        changedAt: new Date(Date.now() - 1000).toISOString(),
        previousTtlSeconds: 0,
      },
    ],
  });
  expect(result).toMatchObject({ changed: true, verified: true, verification: { verdict: 'healthy' } });
});

test('rdsSnapshotRestore and rdsPointInTimeRestore: snapshots, backups, both restores (tagged) and the wait', async () => {
  await seedRdsInstance(iam.admin, 'orders-prod');
  const snapshot = await run('rdsSnapshotRestore', {
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders-from-snapshot',
  });
  expect(snapshot).toMatchObject({ changed: true, instance: { status: 'available' } });
  expect(snapshot.plan.source).toEqual({ kind: 'snapshot', snapshotId: 'orders-prod-2026-11-21' });
  const pitr = await run('rdsPointInTimeRestore', {
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders-latest',
    restoreTime: 'latest',
  });
  expect(pitr).toMatchObject({ changed: true, instance: { instanceId: 'orders-latest', status: 'available' } });
  // Run again: each adopts its own instance (read back through the tag the restore wrote).
  expect(
    await run('rdsSnapshotRestore', { sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-from-snapshot' }),
  ).toMatchObject({ adopted: true });
});

test('secretRollback: Secrets Manager AWSPREVIOUS into the Kubernetes Secret', async () => {
  namespace = await createTestNamespace('iam-secret');
  const sm = new SecretsManagerClient(iam.admin);
  await sm.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: '{"password":"old"}' }));
  await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: '{"password":"new"}' }));
  sm.destroy();
  await kubectl(['create', 'secret', 'generic', 'db', '--from-literal=password=new'], { namespace });
  const result = await run('secretRollback', { namespace, secret: 'db', secretId: 'prod/db', deployments: [] });
  expect(result).toMatchObject({ changed: true, keys: ['password'], versionStage: 'AWSPREVIOUS' });
  const secret = await kubectlJson<{ data: Record<string, string> }>(['get', 'secret/db'], { namespace });
  expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('old');
});

test('verifyRollback: CloudWatch alarms by prefix and tags, metric math error rate, replication lag', async () => {
  const cloudwatch = new CloudWatchClient(iam.admin);
  const suffix = randomBytes(3).toString('hex');
  // In ALARM but another service's (its tags are read to leave it out), and this service's, OK.
  for (const [name, service, state] of [
    [`checkout-shared-${suffix}`, 'payments', 'ALARM'],
    [`checkout-5xx-${suffix}`, 'checkout', 'OK'],
  ] as const) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        MetricName: '5XXError',
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Tags: [{ Key: 'service', Value: service }],
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }),
    );
  }
  const put = (namespace: string, metricName: string, dimension: [string, string], value: number) =>
    cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          {
            MetricName: metricName,
            Dimensions: [{ Name: dimension[0], Value: dimension[1] }],
            Value: value,
            Timestamp: new Date(),
          },
        ],
      }),
    );
  await put('Test/Checkout', 'ErrorRatePct', ['Function', 'checkout'], 0.2);
  await put('AWS/RDS', 'ReplicaLag', ['DBInstanceIdentifier', 'orders-replica-1'], 3);
  cloudwatch.destroy();

  const report = await run('verifyRollback', {
    checks: [
      // A denied read is "unreadable" until the check's timeout: short ones, so the report says why soon.
      { check: 'cloudwatchAlarms', namePrefix: 'checkout-', tags: { service: 'checkout' }, timeoutSeconds: 15 },
      {
        check: 'errorRate',
        maxPct: 1,
        consecutive: 1,
        timeoutSeconds: 15,
        source: {
          type: 'cloudwatch',
          queries: [
            {
              id: 'pct',
              metric: {
                namespace: 'Test/Checkout',
                metricName: 'ErrorRatePct',
                dimensions: { Function: 'checkout' },
                stat: 'Average',
              },
            },
            { id: 'rate', expression: 'pct' },
          ],
        },
      },
      { check: 'replicationLag', replicas: ['orders-replica-1'], maxSeconds: 30, timeoutSeconds: 15 },
    ],
  });
  expect(report.results.map((r: { check: string }) => r.check)).toEqual([
    'cloudwatchAlarms',
    'errorRate',
    'replicationLag',
  ]);
  // On failure this shows the readings, whose detail names the action a denied read lacked.
  expect(report.results.filter((r: { status: string }) => r.status !== 'passed')).toEqual([]);
  expect(report.verdict).toBe('healthy');
});

test('without lambda:UpdateAlias the rollback fails once, AccessDenied naming the action, and the alias stays', async () => {
  await seedLambdaFunction(iam.admin, 'billing-api');
  const limited = await iam.userWith(
    'rollback-orchestrator-limited',
    asMotoNamesActions(policyWithout(committedPolicy(), 'lambda:UpdateAlias')),
  );
  const limitedQueue = await workerAs(limited);

  const handle = await start('lambdaAliasRollback', { functionName: 'billing-api' }, limitedQueue);
  const error = await handle.result().catch((e: unknown) => e);

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure).toMatchObject({ type: 'Forbidden', nonRetryable: true });
  expect(failure.message).toContain('AccessDenied: lambda:UpdateAlias is not allowed');
  expect((failure.cause as { activityType?: string; retryState?: string }).retryState).toBe(
    RetryState.NON_RETRYABLE_FAILURE,
  );
  const events = (await handle.fetchHistory()).events ?? [];
  const attempts = events
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(attempts.every((attempt) => attempt === 1)).toBe(true);
  expect(events.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(1);
  expect(await aliasVersion('billing-api')).toBe('3');
  expect(await tagsOf('billing-api')).toEqual({});
});
