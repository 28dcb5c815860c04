// Reliability suite, injected faults (issue 13): the worker reaches moto and the Kubernetes API
// server only through fault proxies (test/support/faultProxy.ts) that answer ~30% of requests with
// a 500, a 503 or throttling, or delay them, and that lose the answer of the first request of each
// write after the backend applied it. Every procedure completes, and applies its change once.
// The seed is FAULT_SEED (see docs/testing.md); setup and end states go straight to moto and
// kubectl, never through a proxy.
import path from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { seedHostedZone } from '../../tools/demo/seedRoute53.js';
import { aliasVersion } from '../support/aws.js';
import { deploymentManifest, deploymentWithHistory, historyRows, imageOf } from '../support/deployments.js';
import {
  FAULT_KINDS,
  FAULT_RATE,
  FAULT_SEED,
  startFaultProxy,
  startKubernetesFaultProxy,
  type Exchange,
  type FaultKind,
  type FaultProxy,
} from '../support/faultProxy.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  ensureCluster,
  k8sDataDir,
  kubectl,
  kubectlJson,
} from '../support/kubernetes.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let aws: FaultProxy;
let kube: Awaited<ReturnType<typeof startKubernetesFaultProxy>>;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let namespace: string;
let zoneId: string;
let n = 0;

beforeAll(async () => {
  let kubeconfigPath: string;
  [env, moto, { kubeconfigPath }] = await Promise.all([startTimeSkipping(), startMoto(), ensureCluster()]);
  [aws, kube] = await Promise.all([
    startFaultProxy({ name: 'aws', flavor: 'aws', target: moto.endpoint, dropFirstWrite: true }),
    startKubernetesFaultProxy({
      name: 'kubernetes',
      kubeconfigPath,
      pkiDir: path.join(k8sDataDir, 'pki'),
      dropFirstWrite: true,
    }),
  ]);
  ({ worker, taskQueue } = await createTestWorker(env, configFor(aws.url, { KUBECONFIG: kube.kubeconfigPath })));
  running = worker.run();
  namespace = await createTestNamespace('faults');
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  if (namespace) await deleteTestNamespace(namespace);
  await Promise.all([env?.teardown(), moto?.stop(), aws?.close(), kube?.cleanup()]);
});

interface Run<T> {
  result: T;
  /** The faults both proxies injected while it ran. */
  faults: Record<FaultKind, number>;
  /** The attempt each of its activities completed on (from its history), by activity type. */
  attempts: Record<string, number[]>;
}

/** Runs a workflow to its result, with what the proxies did meanwhile and the attempts its activities took. */
async function run<T>(type: string, input: object): Promise<Run<T>> {
  const marks = [aws.exchanges.length, kube.proxy.exchanges.length];
  n += 1;
  const handle = await env.client.workflow.start(type, { args: [input], taskQueue, workflowId: `faults-${type}-${n}` });
  const result = (await handle.result()) as T;
  const during = [...aws.exchanges.slice(marks[0]), ...kube.proxy.exchanges.slice(marks[1])];
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, during.filter((e) => e.fault === k).length]));
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name ?? '']),
  );
  const attempts: Record<string, number[]> = {};
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (!started) continue;
    const name = scheduled.get(Number(started.scheduledEventId)) ?? '';
    (attempts[name] ??= []).push(started.attempt ?? 1);
  }
  return { result, faults: faults as Record<FaultKind, number>, attempts };
}

const writesTo = (method: string, apiPath: string) => (e: Exchange) =>
  e.method === method && e.path.split('?')[0] === apiPath;
const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
const apply = (obj: object) => kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(obj) });
const awsConfig = () => ({ endpoint: moto.endpoint, region: moto.region });

describe(`every procedure completes through injected faults (FAULT_SEED=${FAULT_SEED}, FAULT_RATE=${FAULT_RATE})`, () => {
  test('kubernetesDeploymentRollback: one undo, history 1, 3, 4 as kubectl would leave it', async () => {
    await deploymentWithHistory(namespace, 'web');
    const { result, faults, attempts } = await run<{ changed: boolean; verified: boolean; message: string }>(
      'kubernetesDeploymentRollback',
      { namespace, deployment: 'web', timeoutSeconds: 60 },
    );

    expect(result).toMatchObject({ changed: true, verified: true, fromRevision: 3, toRevision: 2 });
    expect(result.message).toMatch(/^deployment\.apps\/web rolled back; verification healthy/);
    expect(faults.dropAfter).toBeGreaterThanOrEqual(1);
    // The undo's answer was lost: Temporal retried it, and the retry found its own mark.
    expect(attempts.rolloutUndo![0]).toBeGreaterThan(1);
    expect(kube.proxy.applied(writesTo('PATCH', deploymentPath('web')))).toHaveLength(1);
    expect((await historyRows(namespace, 'web')).map(([revision]) => revision)).toEqual([1, 3, 4]);
    expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  });

  test('configMapRollback: the ConfigMap written once, its Deployment restarted once', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config' },
      data: { LOG_LEVEL: 'debug' },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config-backup' },
      data: { LOG_LEVEL: 'info' },
    });
    const api = deploymentManifest('api', 'registry.local/api:1.0', 1);
    Object.assign(api.spec.template.spec.containers[0]!, { envFrom: [{ configMapRef: { name: 'app-config' } }] });
    await apply(api);
    await kubectl(['rollout', 'status', 'deployment/api', '--timeout=60s'], { namespace });

    const { result, faults } = await run<{
      changed: boolean;
      dataChanged: boolean;
      verified: boolean;
      message: string;
    }>('configMapRollback', {
      namespace,
      configMap: 'app-config',
      backupConfigMap: 'app-config-backup',
      timeoutSeconds: 60,
    });

    expect(result).toMatchObject({ changed: true, dataChanged: true, verified: true, keysChanged: ['LOG_LEVEL'] });
    expect(result.message).toMatch(/^configmap "app-config" restored \(1 keys changed\); restarted 1 deployments/);
    expect(faults.dropAfter).toBeGreaterThanOrEqual(2);
    const cm = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap/app-config'], { namespace });
    expect(cm.data).toEqual({ LOG_LEVEL: 'info' });
    expect(kube.proxy.applied(writesTo('PUT', `/api/v1/namespaces/${namespace}/configmaps/app-config`))).toHaveLength(
      1,
    );
    expect(kube.proxy.applied(writesTo('PATCH', deploymentPath('api')))).toHaveLength(1);
    expect(await historyRows(namespace, 'api')).toHaveLength(2);
  });

  test('secretRollback: the Secret written once from AWSPREVIOUS, its Deployment restarted once', async () => {
    const sm = new SecretsManagerClient(awsConfig());
    await sm.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: '{"password":"old-pa55"}' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: '{"password":"new-pa55"}' }));
    sm.destroy();
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'new-pa55' } });
    const dbUser = deploymentManifest('db-user', 'registry.local/api:1.0', 1);
    Object.assign(dbUser.spec.template.spec.containers[0]!, {
      env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
    });
    await apply(dbUser);
    await kubectl(['rollout', 'status', 'deployment/db-user', '--timeout=60s'], { namespace });

    const { result, faults, attempts } = await run<{ changed: boolean; dataChanged: boolean; verified: boolean }>(
      'secretRollback',
      { namespace, secret: 'db', secretId: 'prod/db', deployments: ['db-user'], timeoutSeconds: 60 },
    );

    expect(result).toMatchObject({ changed: true, dataChanged: true, verified: true, keys: ['password'] });
    expect(faults.dropAfter).toBeGreaterThanOrEqual(2);
    const secret = await kubectlJson<{ data: Record<string, string> }>(['get', 'secret/db'], { namespace });
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('old-pa55');
    expect(attempts.restoreSecretFromSecretsManager![0]).toBeGreaterThan(1);
    expect(kube.proxy.applied(writesTo('PUT', `/api/v1/namespaces/${namespace}/secrets/db`))).toHaveLength(1);
    expect(kube.proxy.applied(writesTo('PATCH', deploymentPath('db-user')))).toHaveLength(1);
    expect(await historyRows(namespace, 'db-user')).toHaveLength(2);
  });

  test('lambdaAliasRollback: the alias moved once, by one UpdateAlias call', async () => {
    await seedLambdaFunction(awsConfig(), 'checkout-api');
    const { result, faults } = await run<{ changed: boolean; verified: boolean; message: string }>(
      'lambdaAliasRollback',
      { functionName: 'checkout-api' },
    );

    expect(result).toMatchObject({ changed: true, verified: true, fromVersion: '3', toVersion: '2' });
    expect(result.message).toBe('alias "production" of "checkout-api" moved from version 3 to 2');
    expect(faults.dropAfter).toBeGreaterThanOrEqual(1);
    expect(await aliasVersion(awsConfig(), 'checkout-api')).toBe('2');
    // The SDK re-sends a call whose answer was lost (same invocation id; Lambda itself would refuse
    // the re-send by its RevisionId): one call, never a second one from a retried activity.
    const updates = aws.applied('UpdateAlias');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(new Set(updates.map((e) => e.invocationId)).size).toBe(1);
  });

  test('route53RecordRollback: one change batch, and the record holds the previous value', async () => {
    zoneId = await seedHostedZone(awsConfig(), 'example.com', [
      { name: 'api.example.com', type: 'A', ttl: 60, values: ['192.0.2.20'] },
    ]);
    const { result, faults } = await run<{ changed: boolean; verified: boolean }>('route53RecordRollback', {
      hostedZoneId: zoneId,
      name: 'api.example.com',
      type: 'A',
      previousValues: ['192.0.2.10'],
    });

    expect(result).toMatchObject({ changed: true, verified: true, to: 'A 192.0.2.10 (ttl 60)' });
    expect(faults.dropAfter).toBeGreaterThanOrEqual(1);
    expect(aws.applied('ChangeResourceRecordSets')).toHaveLength(1);
    const route53 = new Route53Client(awsConfig());
    const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    route53.destroy();
    const a = records.ResourceRecordSets?.find((r) => r.Name === 'api.example.com.' && r.Type === 'A');
    expect(a?.ResourceRecords?.map((r) => r.Value)).toEqual(['192.0.2.10']);
  });

  test('rdsSnapshotRestore: exactly one restored instance, from one restore call', async () => {
    await seedRdsInstance(awsConfig(), 'orders-prod');
    const { result, faults } = await run<{ changed: boolean; instance: { instanceId: string; status: string } }>(
      'rdsSnapshotRestore',
      { sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-restored' },
    );

    expect(result.instance).toMatchObject({ instanceId: 'orders-restored', status: 'available' });
    expect(faults.dropAfter).toBeGreaterThanOrEqual(1);
    expect(aws.applied('RestoreDBInstanceFromDBSnapshot')).toHaveLength(1);
    const rds = new RDSClient(awsConfig());
    const out = await rds.send(new DescribeDBInstancesCommand({}));
    rds.destroy();
    expect((out.DBInstances ?? []).map((d) => d.DBInstanceIdentifier).sort()).toEqual([
      'orders-prod',
      'orders-restored',
    ]);
  });

  test('verifyRollback: pods, DNS and alarms read through the faults, healthy', async () => {
    const { result } = await run<{ verdict: string; message: string }>('verifyRollback', {
      checks: [
        { check: 'podStatus', namespace, deployment: 'web', consecutive: 3, intervalSeconds: 5 },
        { check: 'cloudwatchAlarms', namePrefix: 'checkout-', consecutive: 3, intervalSeconds: 5 },
        {
          check: 'dnsRecord',
          hostedZoneId: zoneId,
          name: 'api.example.com',
          values: ['192.0.2.10'],
          changedAt: new Date(Date.now() - 120_000).toISOString(),
          previousTtlSeconds: 60,
          consecutive: 3,
          intervalSeconds: 5,
        },
      ],
      reason: 'after the rollbacks above',
    });
    expect(result).toMatchObject({ verdict: 'healthy', message: 'healthy: 3 of 3 checks passed' });
  });

  test('the proxies injected every kind of fault', () => {
    for (const proxy of [aws, kube.proxy]) {
      const counts = proxy.counts();
      for (const kind of FAULT_KINDS) expect({ kind, injected: counts[kind] > 0 }).toEqual({ kind, injected: true });
    }
  });
});
