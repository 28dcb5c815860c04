// Least privilege, proved (issue 14): the compiled worker, whose only Kubernetes credential is a
// token of the rollback-orchestrator ServiceAccount bound to deploy/kubernetes/rbac.yaml in one
// namespace, runs every Kubernetes procedure on the local control plane (RBAC on). The same role
// without `patch` on Deployments fails the rollback at once with a Forbidden naming the verb and
// resource, and changes nothing.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKubernetesActivities, lazyKubeClient } from '../../src/activities/kubernetes/index.js';
import type { Deployment } from '../../src/domain/kubernetes/objects.js';
import { runActivity } from '../support/activityContext.js';
import { deploymentManifest, deploymentWithHistory, getDeployment, imageOf } from '../support/deployments.js';
import { chartPath, helm, set, storageSecret } from '../support/helm.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  ensureCluster,
  kubectl,
  kubectlJson,
} from '../support/kubernetes.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { servePodLogs, type PodLogs } from '../support/podLogs.js';
import { startWorkerProcess, type RunningProcess } from '../support/processes.js';
import { canI, grant, serviceAccountKubeconfig, type Grant } from '../support/rbac.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let namespace: string;
let logs: PodLogs;
const grants: Grant[] = [];
const workers: RunningProcess[] = [];
const orchestratorNamespaces: string[] = [];
let kubeconfig: string;
let taskQueue: string;
let n = 0;

/** A ServiceAccount of its own namespace, bound to `files` in the test namespace, and its kubeconfig. */
async function serviceAccountWith(files: string[], without?: Parameters<typeof grant>[0]['without']) {
  const saNamespace = await createTestNamespace('orchestrator');
  orchestratorNamespaces.push(saNamespace);
  grants.push(await grant({ files, serviceAccountNamespace: saNamespace, namespaces: [namespace], without }));
  return serviceAccountKubeconfig(saNamespace);
}

/** The compiled worker with that kubeconfig as its only Kubernetes credential; resolves once it polls. */
async function workerWith(kubeconfigPath: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const queue = uniqueTaskQueue('least-privilege');
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: queue,
    KUBECONFIG: kubeconfigPath,
    AWS_ENDPOINT_URL: moto.endpoint,
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  workers.push(worker);
  await worker.waitForOutput(/worker started/);
  return queue;
}

beforeAll(async () => {
  [, env, moto] = await Promise.all([ensureCluster(), startDevServer(), startMoto()]);
  namespace = await createTestNamespace('least-privilege');
  // Every pod of the namespace serves these lines to `kubectl logs` (the logErrors check).
  logs = await servePodLogs(namespace, [{ at: new Date(), text: 'GET /health 200' }]);
  kubeconfig = await serviceAccountWith(['rbac.yaml']);
  taskQueue = await workerWith(kubeconfig);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGINT')));
  await logs?.remove();
  await Promise.all(grants.map((g) => g.revoke()));
  await Promise.all([namespace, ...orchestratorNamespaces].filter(Boolean).map(deleteTestNamespace));
  await Promise.all([env?.teardown(), moto?.stop()]);
});

function start(type: string, input: Record<string, unknown>, queue = taskQueue): Promise<WorkflowHandle> {
  n += 1;
  return env.client.workflow.start(type, {
    args: [type === 'verifyRollback' ? input : { namespace, ...input }],
    taskQueue: queue,
    workflowId: `least-privilege-${type}-${process.pid}-${n}`,
  });
}
const run = async (type: string, input: Record<string, unknown>) => (await start(type, input)).result();
const apply = (obj: object) => kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(obj) });
const rolledOut = (name: string) =>
  kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s'], { namespace });

test('the token holds the role and nothing more', async () => {
  expect(await canI(kubeconfig, 'patch', 'deployments.apps', namespace)).toBe(true);
  expect(await canI(kubeconfig, 'get', 'pods/log', namespace)).toBe(true);
  // Not in the role: listing Secrets, exec, anything in another namespace, cluster-scoped objects.
  expect(await canI(kubeconfig, 'list', 'secrets', namespace)).toBe(false);
  expect(await canI(kubeconfig, 'create', 'pods/exec', namespace)).toBe(false);
  expect(await canI(kubeconfig, 'get', 'deployments.apps', 'default')).toBe(false);
  expect(await canI(kubeconfig, 'list', 'nodes')).toBe(false);
});

test('kubernetesDeploymentRollback to the previous revision, then to a given revision', async () => {
  await deploymentWithHistory(namespace, 'web');
  expect(await run('kubernetesDeploymentRollback', { deployment: 'web', timeoutSeconds: 60 })).toMatchObject({
    changed: true,
    verified: true,
    fromRevision: 3,
    toRevision: 2,
  });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  expect(
    await run('kubernetesDeploymentRollback', { deployment: 'web', toRevision: 1, timeoutSeconds: 60 }),
  ).toMatchObject({ changed: true, verified: true, toRevision: 1 });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.0');
});

test('configMapRollback and secretRollback, restarting the Deployments that read them', async () => {
  await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { LOG_LEVEL: 'debug' } });
  await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg-backup' }, data: { LOG_LEVEL: 'info' } });
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'new' } });
  const api = deploymentManifest('api', 'registry.local/api:1.0', 1);
  Object.assign(api.spec.template.spec.containers[0]!, {
    envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'db' } }],
  });
  await apply(api);
  await rolledOut('api');
  const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region });
  await sm.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: '{"password":"old"}' }));
  await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: '{"password":"new"}' }));
  sm.destroy();

  const config = await run('configMapRollback', {
    configMap: 'cfg',
    backupConfigMap: 'cfg-backup',
    timeoutSeconds: 60,
  });
  expect(config).toMatchObject({ changed: true, verified: true, keysChanged: ['LOG_LEVEL'] });
  expect(config.restarted.map((r: { deployment: string }) => r.deployment)).toEqual(['api']);
  const secret = await run('secretRollback', { secret: 'db', secretId: 'prod/db', timeoutSeconds: 60 });
  expect(secret).toMatchObject({ changed: true, verified: true, keys: ['password'] });
  const data = await kubectlJson<{ data: Record<string, string> }>(['get', 'secret/db'], { namespace });
  expect(Buffer.from(data.data.password!, 'base64').toString()).toBe('old');
  // A Secret that does not exist yet is created.
  const created = await run('secretRollback', { secret: 'db-new', secretId: 'prod/db', deployments: [] });
  expect(created).toMatchObject({ changed: true, keys: ['password'] });
});

test('blueGreenRollback and canaryRollback (canary path in one Ingress, and a canary Ingress)', async () => {
  await apply(deploymentManifest('shop-blue', 'registry.local/shop:1.0', 0, { version: 'blue' }));
  await apply(deploymentManifest('shop-green', 'registry.local/shop:2.0', 2, { version: 'green' }));
  await apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop' },
    spec: { selector: { version: 'green' }, ports: [{ port: 80 }] },
  });
  await rolledOut('shop-green');
  const blueGreen = await run('blueGreenRollback', {
    service: 'shop',
    blueDeployment: 'shop-blue',
    greenDeployment: 'shop-green',
    timeoutSeconds: 60,
  });
  expect(blueGreen).toMatchObject({ changed: true, verified: true, blueReplicas: { from: 0, to: 2 } });

  const ingress = (name: string, paths: [string, string][], annotations: Record<string, string> = {}) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: paths.map(([path, svc]) => ({
              path,
              pathType: 'Prefix',
              backend: { service: { name: svc, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  });
  await apply(deploymentManifest('beta', 'registry.local/shop:2.1', 1, { track: 'canary' }));
  await apply(
    ingress('shop', [
      ['/', 'shop'],
      ['/beta', 'beta'],
    ]),
  );
  const paths = await run('canaryRollback', {
    ingress: 'shop',
    canaryService: 'beta',
    canaryDeployment: 'beta',
    stableService: 'shop',
  });
  expect(paths).toMatchObject({ routing: 'removed 1 canary paths from ingress "shop"', canaryDeploymentDeleted: true });

  await apply(deploymentManifest('canary', 'registry.local/shop:2.2', 1, { track: 'canary' }));
  await apply(ingress('shop-canary', [['/', 'canary']], { 'nginx.ingress.kubernetes.io/canary': 'true' }));
  const whole = await run('canaryRollback', {
    ingress: 'shop-canary',
    canaryService: 'canary',
    canaryDeployment: 'canary',
    stableService: 'shop',
  });
  expect(whole).toMatchObject({ routing: 'deleted canary ingress "shop-canary"', changed: true, verified: true });
});

test('verifyRollback reads pod status and pod logs', async () => {
  await apply(deploymentManifest('checked', 'registry.local/web:1.0', 2));
  await rolledOut('checked');
  const since = new Date(Date.now() - 60_000).toISOString();
  const report = await run('verifyRollback', {
    checks: [
      { check: 'podStatus', namespace, deployment: 'checked' },
      { check: 'logErrors', namespace, deployment: 'checked', since, timeoutSeconds: 30 },
    ],
  });
  expect(report.verdict).toBe('healthy');
  expect(report.results).toEqual([
    expect.objectContaining({ check: 'podStatus', status: 'passed', observed: '2/2 ready, 2/2 running, 0 restarts' }),
    expect.objectContaining({ check: 'logErrors', status: 'passed', observed: '0 error lines in 2 of 2 pods' }),
  ]);
});

test("the fallback ladder's rungs and the restores' DATABASE_HOST switch need nothing more", async () => {
  const k8s = createKubernetesActivities(lazyKubeClient(kubeconfig));
  const ref = { namespace, deployment: 'ladder' };
  await apply(deploymentManifest('ladder', 'registry.local/web:1.0', 2));
  await rolledOut('ladder');
  expect(await runActivity(k8s.rolloutRestart, { ...ref, restartedAt: new Date().toISOString() })).toEqual({
    changed: true,
  });
  expect(await runActivity(k8s.setDeploymentEnv, { ...ref, name: 'DATABASE_HOST', value: 'db-2' })).toMatchObject({
    changed: true,
  });
  await runActivity(k8s.waitForRollout, { ...ref, timeoutSeconds: 60 });
  expect(await runActivity(k8s.logErrorCount, ref)).toMatchObject({ available: true, errorCount: 0 });
  expect((await runActivity(k8s.deletePods, ref)).deleted).toHaveLength(2);
  expect(await runActivity(k8s.scaleDeployment, { ...ref, replicas: 0 })).toMatchObject({ changed: true });
  await runActivity(k8s.waitForNoPods, { ...ref, timeoutSeconds: 60 });
  const manifest = (await getDeployment(namespace, 'ladder')) as unknown as Deployment;
  expect(await runActivity(k8s.recreateFromManifest, { ...ref, manifest, marker: 'rung-3' })).toEqual({
    recreated: true,
  });
  expect((await getDeployment(namespace, 'ladder')).metadata.annotations).toMatchObject({
    'rollback-orchestrator/recreated-by': 'rung-3',
  });
});

test('helmReleaseRollback needs rbac-helm.yaml on top: helm history, status, rollback --wait and the mark', async () => {
  const withHelm = await serviceAccountWith(['rbac.yaml', 'rbac-helm.yaml']);
  const helmQueue = await workerWith(withHelm, { HELM_BIN: toolPath('helm') });
  // No --wait: the rollback's own `helm rollback --wait` waits for the pods it needs.
  await helm(['install', 'site', chartPath, '-n', namespace, ...set({ image: 'registry.local/web:1.0' })]);
  await helm(['upgrade', 'site', chartPath, '-n', namespace, ...set({ image: 'registry.local/web:1.1' })]);
  const result = await (await start('helmReleaseRollback', { release: 'site' }, helmQueue)).result();
  expect(result).toMatchObject({ fromRevision: 2, toRevision: 1, newRevision: 3, changed: true, verified: true });
  expect(await imageOf(namespace, 'site')).toBe('registry.local/web:1.0');
  const marked = await kubectlJson<{ metadata: { annotations?: Record<string, string> } }>(
    ['get', storageSecret('site', 2)],
    { namespace },
  );
  expect(JSON.parse(marked.metadata.annotations?.['rollback-orchestrator.io/rolled-back-from'] ?? '{}')).toMatchObject({
    to: 1,
  });
});

test('without `patch` on Deployments the rollback fails once, Forbidden naming verb and resource, and changes nothing', async () => {
  const limited = await serviceAccountWith(['rbac.yaml'], { apiGroup: 'apps', resource: 'deployments', verb: 'patch' });
  const limitedQueue = await workerWith(limited);
  await deploymentWithHistory(namespace, 'frozen');
  const before = await getDeployment(namespace, 'frozen');

  const handle = await start(
    'kubernetesDeploymentRollback',
    { deployment: 'frozen', timeoutSeconds: 60 },
    limitedQueue,
  );
  const error = await handle.result().catch((e: unknown) => e);

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure).toMatchObject({ type: 'Forbidden', nonRetryable: true });
  expect(failure.message).toContain(`Forbidden: patch deployments.apps "frozen" in namespace "${namespace}"`);
  expect(failure.message).toContain('cannot patch resource "deployments" in API group "apps"');
  // One attempt of the undo, failed as non-retryable: no retry storm against the API server.
  expect((failure.cause as { activityType?: string; retryState?: string }).retryState).toBe(
    RetryState.NON_RETRYABLE_FAILURE,
  );
  const events = (await handle.fetchHistory()).events ?? [];
  const undoAttempts = events
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(undoAttempts.every((attempt) => attempt === 1)).toBe(true);
  expect(events.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(1);

  const after = await getDeployment(namespace, 'frozen');
  expect(after.spec.template).toEqual(before.spec.template);
  expect(after.metadata.annotations).toEqual(before.metadata.annotations);
});
