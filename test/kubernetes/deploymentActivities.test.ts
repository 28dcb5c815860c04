// The Deployment activities against the real local control plane, compared with kubectl.
import { ApplicationFailure } from '@temporalio/common';
import { KubeClient } from '../../src/activities/kubernetes/client.js';
import { createKubernetesActivities, lazyKubeClient } from '../../src/activities/kubernetes/index.js';
import { deploymentWithHistory, getDeployment, historyRows, imageOf } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { runActivity } from '../support/activityContext.js';

let k8s: ReturnType<typeof createKubernetesActivities>;
let namespace: string;
let kubeconfig: string;
const run = runActivity;

beforeAll(async () => {
  const { kubeconfigPath } = await ensureCluster();
  kubeconfig = kubeconfigPath;
  k8s = createKubernetesActivities(lazyKubeClient(kubeconfigPath));
});

/** Activities on the real client that run `meanwhile` against the cluster just before their first PATCH. */
function activitiesRacing(meanwhile: () => Promise<unknown>) {
  const real = KubeClient.load(kubeconfig);
  const racing = Object.create(real) as KubeClient;
  let raced = false;
  racing.patch = async (...args: Parameters<KubeClient['patch']>) => {
    if (!raced) {
      raced = true;
      await meanwhile();
    }
    return real.patch(...args);
  };
  return createKubernetesActivities(() => racing);
}
beforeEach(async () => {
  namespace = await createTestNamespace('k8s-activities');
  await deploymentWithHistory(namespace, 'web');
});
afterEach(() => deleteTestNamespace(namespace));

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

test('history lists revisions 1-3 with change-cause, as kubectl rollout history does', async () => {
  const history = await run(k8s.rolloutHistory, { namespace, deployment: 'web' });
  expect(history.map((h) => [h.revision, h.changeCause])).toEqual(await historyRows(namespace, 'web'));
  expect(history.map((h) => h.revision)).toEqual([1, 2, 3]);
});

test('the undo plan picks the previous revision and shows the image change', async () => {
  const plan = await run(k8s.planRolloutUndo, { namespace, deployment: 'web' });
  expect(plan).toMatchObject({ currentRevision: 3, targetRevision: 2, alreadyMatches: false, paused: false });
  expect(plan.diff.split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
    '- "image": "registry.local/web:1.2",',
    '+ "image": "registry.local/web:1.1",',
  ]);
});

test('undo to the planned ReplicaSet rolls back once; a retry is skipped with kubectl message', async () => {
  const plan = await run(k8s.planRolloutUndo, { namespace, deployment: 'web', toRevision: 1 });
  const ref = { namespace, deployment: 'web', replicaSet: plan.targetReplicaSet };
  expect(await run(k8s.rolloutUndo, ref)).toMatchObject({ outcome: 'rolled back', revision: 1 });
  await run(k8s.waitForRollout, { namespace, deployment: 'web', timeoutSeconds: 60 });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.0');
  const retry = await run(k8s.rolloutUndo, ref);
  expect(retry).toEqual({
    outcome: 'skipped',
    message: 'skipped rollback (current template already matches revision 4)',
    revision: 4,
  });
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([2, 3, 4]);
});

test('undo refuses, right before it patches, a Deployment that left the pinned template', async () => {
  const plan = await run(k8s.planRolloutUndo, { namespace, deployment: 'web' });
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:1.3'], { namespace });
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });
  const failure = await failureOf(
    run(k8s.rolloutUndo, {
      namespace,
      deployment: 'web',
      replicaSet: plan.targetReplicaSet,
      fromTemplateHash: plan.currentTemplateHash,
    }),
  );
  expect(failure).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
  expect(failure.message).toContain(`deployment.apps/web moved from template ${plan.currentTemplateHash} to`);
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.3');
});

test('undo writes the mark in its own patch and refuses a marked destination unless allowed', async () => {
  const plan = await run(k8s.planRolloutUndo, { namespace, deployment: 'web' });
  const mark = { at: '2026-11-28T04:00:00.000Z', by: 'incident-1' };
  await run(k8s.rolloutUndo, { namespace, deployment: 'web', replicaSet: plan.targetReplicaSet, mark });
  await run(k8s.waitForRollout, { namespace, deployment: 'web', timeoutSeconds: 60 });
  const back = await run(k8s.planRolloutUndo, { namespace, deployment: 'web' });
  expect(back).toMatchObject({
    targetRevision: 3,
    targetTemplateHash: plan.currentTemplateHash,
    targetMark: { templateHash: plan.currentTemplateHash, revision: 3, ...mark },
    lastRollback: { at: mark.at, from: `revision 3 (template ${plan.currentTemplateHash})`, by: 'incident-1' },
  });
  const ref = { namespace, deployment: 'web', replicaSet: back.targetReplicaSet };
  const failure = await failureOf(run(k8s.rolloutUndo, ref));
  expect(failure).toMatchObject({ type: 'MarkedTarget', nonRetryable: true });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  expect(await run(k8s.rolloutUndo, { ...ref, allowMarkedTarget: true })).toMatchObject({ outcome: 'rolled back' });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
});

test('a revision that is not in the history gives kubectl message, non-retryably', async () => {
  const failure = await failureOf(run(k8s.planRolloutUndo, { namespace, deployment: 'web', toRevision: 7 }));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('unable to find specified revision 7 in history');
});

test('a paused deployment is refused with kubectl message and left unchanged', async () => {
  await kubectl(['rollout', 'pause', 'deployment/web'], { namespace });
  const plan = await run(k8s.planRolloutUndo, { namespace, deployment: 'web' });
  expect(plan.paused).toBe(true);
  const failure = await failureOf(
    run(k8s.rolloutUndo, { namespace, deployment: 'web', replicaSet: plan.targetReplicaSet }),
  );
  expect(failure.type).toBe('FailedPrecondition');
  expect(failure.message).toBe(
    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again",
  );
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
});

test('status waits until the rollout is done and reports kubectl message and replica counts', async () => {
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:2.0'], { namespace });
  const status = await run(k8s.waitForRollout, { namespace, deployment: 'web', timeoutSeconds: 60 });
  expect(status.done).toBe(true);
  expect(status.message).toBe('deployment "web" successfully rolled out');
  expect(status.replicas).toEqual({ desired: 2, updated: 2, total: 2, available: 2 });
});

test('the rollout wait wakes on the Deployment watch, not after its poll interval', async () => {
  // A 10-minute poll interval: without the watch the wait would sleep past this test's limit.
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:2.0'], { namespace });
  const status = await run(k8s.waitForRollout, { namespace, deployment: 'web', timeoutSeconds: 60, pollSeconds: 600 });
  expect(status).toMatchObject({ done: true, message: 'deployment "web" successfully rolled out' });
  expect(status.replicas).toEqual({ desired: 2, updated: 2, total: 2, available: 2 });
}, 60_000);

test('a rollout wait whose watch cannot open still finishes by polling', async () => {
  const real = KubeClient.load(kubeconfig);
  const noWatch = Object.create(real) as KubeClient;
  let fed = 0;
  noWatch.changeFeed = (path, query) => {
    fed += 1;
    // A path the API server does not serve: the watch ends at once with a 404.
    return real.changeFeed(`${path}-missing`, query);
  };
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:2.0'], { namespace });
  const status = await run(createKubernetesActivities(() => noWatch).waitForRollout, {
    namespace,
    deployment: 'web',
    timeoutSeconds: 60,
    pollSeconds: 1,
  });
  expect(fed).toBe(1);
  expect(status).toMatchObject({ done: true, message: 'deployment "web" successfully rolled out' });
});

test('pods of the deployment are Running and Ready, and logs are reported unavailable without a kubelet', async () => {
  const pods = await run(k8s.podStatus, { namespace, deployment: 'web' });
  expect(pods).toMatchObject({ total: 2, running: 2, ready: 2, restarts: 0 });
  const logs = await run(k8s.logErrorCount, { namespace, deployment: 'web' });
  expect(logs.available).toBe(false);
  expect(logs.detail).toContain('logs unavailable');
});

test('rollout restart sets restartedAt once; paused deployments are refused as kubectl does', async () => {
  const ref = { namespace, deployment: 'web', restartedAt: '2026-11-27T10:00:00Z' };
  expect(await run(k8s.rolloutRestart, ref)).toEqual({ changed: true });
  expect(await run(k8s.rolloutRestart, ref)).toEqual({ changed: false });
  const d = await getDeployment(namespace, 'web');
  expect(d.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(ref.restartedAt);
  await kubectl(['rollout', 'pause', 'deployment/web'], { namespace });
  const failure = await failureOf(run(k8s.rolloutRestart, { ...ref, restartedAt: '2026-11-27T11:00:00Z' }));
  expect(failure.message).toBe("can't restart paused deployment (run rollout resume first)");
});

test('set env changes the template once and is a no-op when the value is already set', async () => {
  const ref = { namespace, deployment: 'web', name: 'DATABASE_HOST', value: 'db-new.local' };
  expect(await run(k8s.setDeploymentEnv, ref)).toMatchObject({ changed: true, previous: undefined });
  const generation = (await getDeployment(namespace, 'web')).metadata.generation;
  expect(await run(k8s.setDeploymentEnv, ref)).toMatchObject({ changed: false, previous: 'db-new.local' });
  expect(await run(k8s.getDeploymentEnv, { namespace, deployment: 'web', name: 'DATABASE_HOST' })).toEqual({
    value: 'db-new.local',
  });
  const after = await getDeployment(namespace, 'web');
  expect(after.metadata.generation).toBe(generation);
  expect(after.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'DATABASE_HOST', value: 'db-new.local' });
});

test('set env succeeds when the status and resourceVersion move between its read and its patch', async () => {
  // A scale makes the controller update status: the resourceVersion moves, the env does not.
  const racing = activitiesRacing(() => kubectl(['scale', 'deployment/web', '--replicas=3'], { namespace }));
  const ref = { namespace, deployment: 'web', name: 'DATABASE_HOST', value: 'db-new.local' };
  expect(await run(racing.setDeploymentEnv, ref)).toMatchObject({ changed: true, previous: undefined });
  const after = await getDeployment(namespace, 'web');
  expect(after.spec.replicas).toBe(3);
  expect(after.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'DATABASE_HOST', value: 'db-new.local' });
});

test('set env that loses a race on the env list re-reads and keeps the other change', async () => {
  const racing = activitiesRacing(() => kubectl(['set', 'env', 'deployment/web', 'OTHER=1'], { namespace }));
  const ref = { namespace, deployment: 'web', name: 'DATABASE_HOST', value: 'db-new.local' };
  expect(await run(racing.setDeploymentEnv, ref)).toMatchObject({ changed: true });
  const env = (await getDeployment(namespace, 'web')).spec.template.spec.containers[0]!.env;
  expect(env).toContainEqual({ name: 'OTHER', value: '1' });
  expect(env).toContainEqual({ name: 'DATABASE_HOST', value: 'db-new.local' });
});

test('deleted pods are replaced, scaling to zero and back restores the count', async () => {
  const before = await run(k8s.podStatus, { namespace, deployment: 'web' });
  const { deleted } = await run(k8s.deletePods, { namespace, deployment: 'web' });
  expect(deleted.sort()).toEqual(before.pods.map((p) => p.name).sort());
  expect(await run(k8s.scaleDeployment, { namespace, deployment: 'web', replicas: 0 })).toEqual({
    changed: true,
    from: 2,
    to: 0,
  });
  await run(k8s.waitForNoPods, { namespace, deployment: 'web', timeoutSeconds: 60 });
  await run(k8s.scaleDeployment, { namespace, deployment: 'web', replicas: 2 });
  await run(k8s.waitForRollout, { namespace, deployment: 'web', timeoutSeconds: 60 });
  const after = await run(k8s.podStatus, { namespace, deployment: 'web' });
  expect(after.ready).toBe(2);
  expect(after.pods.map((p) => p.name)).not.toEqual(expect.arrayContaining(before.pods.map((p) => p.name)));
});
