// kubernetesDeploymentRollback on the dev server against the real local control plane, checked
// against what kubectl does to an identical Deployment.
import { fileURLToPath } from 'node:url';
import { Watch, KubeConfig } from '@kubernetes/client-node';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { abortSignal } from '../../src/workflows/incident/messages.js';
import type { ProcedureStatus } from '../../src/workflows/support/progress.js';
import {
  deploymentManifest,
  deploymentWithHistory,
  getDeployment,
  historyRows,
  imageOf,
} from '../support/deployments.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  ensureCluster,
  kubectl,
  kubectlJson,
} from '../support/kubernetes.js';
import { waitForPhase } from '../support/incidentQueries.js';
import { freePort, waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { eventSummaries } from '../support/userMetadata.js';
import type { ChildSignals } from './workflows/index.js';

let env: TestWorkflowEnvironment;
let kubeconfig: string;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let namespace: string;
let n = 0;
const MARK = 'rollback-orchestrator.io/rolled-back-from';

beforeAll(async () => {
  const [{ kubeconfigPath }, devServer] = await Promise.all([ensureCluster(), startDevServer()]);
  env = devServer;
  kubeconfig = kubeconfigPath;
  ({ worker, taskQueue } = await createTestWorker(
    env,
    configFor('http://127.0.0.1:1', { KUBECONFIG: kubeconfigPath }),
    { workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)) },
  ));
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});
beforeEach(async () => {
  namespace = await createTestNamespace('k8s-rollback');
});
afterEach(() => deleteTestNamespace(namespace));

function start(input: Record<string, unknown>): Promise<WorkflowHandle> {
  n += 1;
  return env.client.workflow.start('kubernetesDeploymentRollback', {
    args: [{ namespace, ...input }],
    taskQueue,
    workflowId: `k8s-rollback-${process.pid}-${n}`,
  });
}

async function failureMessage(input: Record<string, unknown>): Promise<string> {
  const error = await (await start(input)).result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause?.message ?? '';
}

/** What a rollback changes: the pod template and the Deployment's annotations. */
async function rolledBackState(name: string) {
  const d = await getDeployment(namespace, name);
  const { [MARK]: _mark, ...annotations } = d.metadata.annotations ?? {};
  return { template: d.spec.template, annotations };
}

describe.each([
  ['the previous revision', [], {}],
  ['revision 1', ['--to-revision=1'], { toRevision: 1 }],
])('undo to %s', (_what, kubectlArgs, input) => {
  test('gives the same template, annotations and history as kubectl rollout undo', async () => {
    await Promise.all([
      deploymentWithHistory(namespace, 'by-kubectl'),
      deploymentWithHistory(namespace, 'by-workflow'),
    ]);
    await kubectl(['rollout', 'undo', 'deployment/by-kubectl', ...kubectlArgs], { namespace });
    await kubectl(['rollout', 'status', 'deployment/by-kubectl', '--timeout=60s'], { namespace });
    const handle = await start({ deployment: 'by-workflow', ...input });
    const result = await handle.result();

    expect(result).toMatchObject({
      message: 'deployment.apps/by-workflow rolled back; verification healthy: 1 of 1 checks passed',
      changed: true,
      verified: true,
      dryRun: false,
      from: expect.stringMatching(/^revision 3 \(template \w+\)$/),
    });
    expect((await getDeployment(namespace, 'by-workflow')).metadata.annotations?.[MARK]).toBeDefined();
    expect(result.settled).toMatchObject({ passed: true, pods: { total: 2, ready: 2 } });
    // The natural check, in the verifyRollback child: the Deployment's pods, at the first reading.
    expect(result.verification).toMatchObject({
      verdict: 'healthy',
      results: [
        {
          check: 'podStatus',
          target: `${namespace}/by-workflow`,
          status: 'passed',
          observed: '2/2 ready, 2/2 running, 0 restarts',
          readings: 1,
        },
      ],
    });
    const child = await env.client.workflow.getHandle(`${handle.workflowId}-verify`).describe();
    expect(child).toMatchObject({ type: 'verifyRollback', status: { name: 'COMPLETED' } });
    expect(result.newRevision).toBe(4);
    // The Web UI names the undo as kubectl would, with its revisions.
    expect(await eventSummaries(handle)).toContain(
      `activityTaskScheduled: rollout undo ${namespace}/by-workflow 3 -> ${'toRevision' in input ? input.toRevision : 2}`,
    );
    const ours = await rolledBackState('by-workflow');
    const theirs = await rolledBackState('by-kubectl');
    const rename = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll('by-kubectl', 'by-workflow'));
    expect(ours).toEqual(rename(theirs));
    expect(await historyRows(namespace, 'by-workflow')).toEqual(await historyRows(namespace, 'by-kubectl'));
  });
});

test('a template already at the target revision is skipped with kubectl message and no new revision', async () => {
  await deploymentWithHistory(namespace, 'web');
  const result = await (await start({ deployment: 'web', toRevision: 3 })).result();
  expect(result.message).toBe('skipped rollback (current template already matches revision 3)');
  // Nothing changed, so nothing to verify.
  expect(result).toMatchObject({ changed: false, verified: true });
  expect(result.verification).toBeUndefined();
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([1, 2, 3]);
});

test('a paused deployment is refused with kubectl message and not changed', async () => {
  await deploymentWithHistory(namespace, 'web');
  await kubectl(['rollout', 'pause', 'deployment/web'], { namespace });
  expect(await failureMessage({ deployment: 'web' })).toBe(
    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again",
  );
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
});

test('a revision missing from the history fails with kubectl message', async () => {
  await deploymentWithHistory(namespace, 'web');
  expect(await failureMessage({ deployment: 'web', toRevision: 9 })).toContain(
    'unable to find specified revision 9 in history',
  );
});

test('a bad input names the field and touches nothing', async () => {
  expect(await failureMessage({ deployment: 'Web_App' })).toBe(
    'kubernetesDeploymentRollback: invalid input: deployment: must be a lowercase RFC 1123 name such as "web-api"',
  );
});

test('dry run reports the target revision and the template diff, and changes nothing', async () => {
  await deploymentWithHistory(namespace, 'web');
  const result = await (await start({ deployment: 'web', dryRun: true })).result();
  expect(result).toMatchObject({ dryRun: true, fromRevision: 3, toRevision: 2 });
  expect(result.message).toBe('dry run: would roll deployment.apps/web back from revision 3 to 2');
  expect(result.diff).toContain('registry.local/web:1.1');
  expect(result.verification).toBeUndefined();
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([1, 2, 3]);
});

test('a failing verify check leaves the rollback done but not verified, with the verdict and why', async () => {
  await deploymentWithHistory(namespace, 'web');
  const port = await freePort(); // nothing listens there
  const url = `http://127.0.0.1:${port}/health`;
  const result = await (
    await start({
      deployment: 'web',
      verify: [{ check: 'httpHealth', url, timeoutSeconds: 2, intervalSeconds: 1, requestTimeoutMs: 500 }],
    })
  ).result();

  expect(result).toMatchObject({ changed: true, verified: false, dryRun: false });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  expect(result.verification?.verdict).not.toBe('healthy');
  expect(result.verification?.results).toEqual([
    expect.objectContaining({ check: 'podStatus', status: 'passed' }),
    expect.objectContaining({ check: 'httpHealth', target: expect.stringContaining(url), passed: false }),
  ]);
  expect(result.message).toMatch(/^deployment\.apps\/web rolled back; verification not-verified: 1 of 2 checks passed/);
});

/** A Deployment whose revision 1 can never be scheduled (no node matches): rolling back to it gets stuck. */
async function deploymentStuckAtRevision1(): Promise<void> {
  const stuck = deploymentManifest('web', 'registry.local/web:1.0', 2);
  stuck.spec.progressDeadlineSeconds = 3;
  (stuck.spec.template.spec as Record<string, unknown>).nodeSelector = { 'no-such-node': 'true' };
  await kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(stuck) });
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:1.1'], { namespace });
  await kubectl(
    ['patch', 'deployment/web', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]'],
    { namespace },
  );
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });
}

/** Every pod UID, Deployment UID and replica count the API server reports while it runs (a watch, no polling). */
async function watchNamespace() {
  const seen = { podUids: new Set<string>(), deploymentUids: new Set<string>(), replicas: new Set<number>() };
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const watch = new Watch(config);
  let stopped = false;
  // A watch that ends before we stop it could have missed events: the test must not pass then.
  const fail = (error: unknown) => {
    if (!stopped) seen.podUids.add(`watch ended early: ${String(error)}`);
  };
  const requests = await Promise.all([
    watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (_type, pod: { metadata: { uid: string } }) => {
        seen.podUids.add(pod.metadata.uid);
      },
      fail,
    ),
    watch.watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      {},
      (_type, d: { metadata: { uid: string }; spec: { replicas: number } }) => {
        seen.deploymentUids.add(d.metadata.uid);
        seen.replicas.add(d.spec.replicas);
      },
      fail,
    ),
  ]);
  return {
    seen,
    stop: () => {
      stopped = true;
      requests.forEach((r) => r.abort());
    },
  };
}

test('a rollback stuck on its progress deadline restarts, then climbs the destructive rungs one confirmation at a time', async () => {
  await deploymentStuckAtRevision1();
  const podsBefore = await kubectlJson<{ items: { metadata: { uid: string } }[] }>(['get', 'pods'], { namespace });
  const { seen, stop } = await watchNamespace();

  const good = deploymentManifest('web', 'registry.local/web:0.9', 2);
  const handle = await start({
    deployment: 'web',
    toRevision: 1,
    timeoutSeconds: 20,
    fallbacks: { deletePods: true, scaleToZeroAndBack: true, recreateFromManifest: good, pauseAtZeroSeconds: 1 },
  });
  for (const rung of ['delete pods', 'scale to zero and back', 'recreate from manifest']) {
    await waitFor(
      `the workflow to ask for confirmation of "${rung}"`,
      async () => (await handle.query<ProcedureStatus>('status')).awaitingConfirmation === rung,
      90_000,
      250,
    );
    await handle.signal('confirm', { by: 'alice', step: rung });
  }
  const result = await handle.result();
  stop();

  expect(result.fallbacks).toEqual([
    {
      rung: 'rolling restart',
      outcome: 'not settled',
      detail: expect.stringContaining('exceeded its progress deadline'),
    },
    { rung: 'delete pods', outcome: 'not settled', detail: expect.any(String), confirmedBy: 'alice' },
    { rung: 'scale to zero and back', outcome: 'not settled', detail: expect.any(String), confirmedBy: 'alice' },
    { rung: 'recreate from manifest', outcome: 'settled', detail: expect.any(String), confirmedBy: 'alice' },
  ]);
  expect(result).toMatchObject({ changed: true, verified: true });
  expect(result.settled).toMatchObject({ passed: true, pods: { ready: 2 } });
  expect([...seen.podUids].filter((u) => u.startsWith('watch ended'))).toEqual([]);
  // The pods of before were replaced, and the Deployment went through zero and a recreation.
  expect(seen.podUids.size).toBeGreaterThan(podsBefore.items.length);
  expect(seen.replicas.has(0)).toBe(true);
  expect(seen.deploymentUids.size).toBeGreaterThanOrEqual(2);
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:0.9');
});

test('a destructive rung tells the parent when it starts and stops waiting, and still takes its own confirm', async () => {
  await deploymentStuckAtRevision1();
  n += 1;
  const childId = `k8s-rollback-child-${process.pid}-${n}`;
  const parent = await env.client.workflow.start('recordingParent', {
    args: [
      'kubernetesDeploymentRollback',
      {
        namespace,
        deployment: 'web',
        toRevision: 1,
        timeoutSeconds: 20,
        fallbacks: {
          rollingRestart: false,
          deletePods: true,
          scaleToZeroAndBack: true,
          confirmationTimeoutSeconds: 20,
        },
      },
      childId,
    ],
    taskQueue,
    workflowId: `k8s-parent-${process.pid}-${n}`,
  });
  await waitFor(
    'the child to tell its parent it awaits "delete pods"',
    async () => (await parent.query<ChildSignals>('childSignals')).awaiting.length === 1,
    90_000,
    250,
  );
  await env.client.workflow.getHandle(childId).signal('confirm', { by: 'bob', step: 'delete pods' });
  const seen = await parent.result();

  expect(seen.awaiting).toEqual([
    { workflowId: childId, step: 'delete pods', timeoutSeconds: 20, since: expect.any(String) },
    { workflowId: childId, step: 'scale to zero and back', timeoutSeconds: 20, since: expect.any(String) },
  ]);
  expect(seen.settled).toEqual([
    { workflowId: childId, step: 'delete pods', outcome: 'confirmed', by: 'bob' },
    { workflowId: childId, step: 'scale to zero and back', outcome: 'timed-out' },
  ]);
  expect(seen.error).toContain('scale to zero and back: not confirmed');
});

/** The pod-template-hash of the ReplicaSet at `revision`. */
async function templateHashAt(name: string, revision: number): Promise<string> {
  const list = await kubectlJson<{
    items: { metadata: { annotations?: Record<string, string>; labels?: Record<string, string> } }[];
  }>(['get', 'replicasets', '-l', `app=${name}`], { namespace });
  const rs = list.items.find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision'] === String(revision));
  return rs!.metadata.labels!['pod-template-hash']!;
}

test('a second rollback refuses the template the first rolled back from, unless allowMarkedTarget', async () => {
  await deploymentWithHistory(namespace, 'web');
  const badHash = await templateHashAt('web', 3);
  const first = await start({ deployment: 'web' });
  expect(await first.result()).toMatchObject({ changed: true, verified: true, dryRun: false });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  const marks = JSON.parse((await getDeployment(namespace, 'web')).metadata.annotations![MARK]!);
  expect(marks).toEqual([{ templateHash: badHash, revision: 3, at: expect.any(String), by: first.workflowId }]);

  // The alert fires again: the same rollback would go "back" to 1.2, the release just rolled back from.
  const message = await failureMessage({ deployment: 'web' });
  expect(message).toBe(
    `deployment.apps/web: revision 3 (template ${badHash}) was rolled back from at ${marks[0].at} by ${first.workflowId}; pass allowMarkedTarget to roll onto it anyway`,
  );
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  const plan = await (await start({ deployment: 'web', dryRun: true })).result();
  expect(plan.lastRollback).toEqual({
    at: marks[0].at,
    from: `revision 3 (template ${badHash})`,
    by: first.workflowId,
  });

  await (await start({ deployment: 'web', allowMarkedTarget: true })).result();
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
});

test('a P0 incident on a Deployment just rolled back plans locally, asks a person and changes nothing', async () => {
  await deploymentWithHistory(namespace, 'web');
  await (await start({ deployment: 'web' })).result();
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  const revisions = await historyRows(namespace, 'web');

  // The outage alert fires again: P0 rolls back at once, unless its plan says that would be unsafe.
  n += 1;
  const incident = await env.client.workflow.start('incidentRollback', {
    args: [
      {
        service: 'web',
        environment: 'production',
        outage: true,
        procedures: [{ type: 'kubernetesDeploymentRollback', input: { namespace, deployment: 'web' } }],
        reason: 'web down again',
        requestedBy: 'alertmanager',
        refireWindowMinutes: 180,
      },
    ],
    taskQueue,
    workflowId: `k8s-incident-${process.pid}-${n}`,
  });
  const waiting = await waitForPhase(incident, 'awaiting-confirmation');
  expect(waiting.severity).toBe('P0');
  expect(waiting.refire).toMatch(/^kubernetesDeploymentRollback .*web was rolled back at .+, still failing$/);
  // The plan's reads ran as local activities (markers), not through the task queue.
  const plan = await env.client.workflow
    .getHandle(`${incident.workflowId}-1-kubernetesDeploymentRollback-plan`)
    .fetchHistory();
  const scheduled = (plan.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
  const local = (plan.events ?? []).filter(
    (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  );
  expect(scheduled).toEqual([]);
  expect(local.length).toBe(2);

  await incident.signal(abortSignal, { by: 'ic-alice', reason: 'looking at the release instead' });
  expect(await incident.result()).toMatchObject({ outcome: 'aborted' });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  expect(await historyRows(namespace, 'web')).toEqual(revisions);
});

test('the mark survives kubectl rollout undo, which renumbers revisions and rewrites the annotations', async () => {
  await deploymentWithHistory(namespace, 'web');
  const badHash = await templateHashAt('web', 3);
  await (await start({ deployment: 'web' })).result();
  await kubectl(['rollout', 'undo', 'deployment/web', '--to-revision=1'], { namespace });
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([3, 4, 5]);
  expect(await failureMessage({ deployment: 'web', toRevision: 3 })).toContain(
    `deployment.apps/web: revision 3 (template ${badHash}) was rolled back from at`,
  );
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.0');
});

test('plan, pin, apply: a Deployment changed after the plan fails TargetChanged and is left alone', async () => {
  await deploymentWithHistory(namespace, 'web');
  const plan = await (await start({ deployment: 'web', dryRun: true })).result();
  expect(plan.pin).toEqual({
    currentRevision: 3,
    currentTemplateHash: await templateHashAt('web', 3),
    targetRevision: 2,
    targetTemplateHash: await templateHashAt('web', 2),
  });
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:1.3'], { namespace });
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });
  const error = await (await start({ deployment: 'web', pin: plan.pin })).result().catch((e: unknown) => e);
  expect((error as WorkflowFailedError).cause).toMatchObject({
    type: 'TargetChanged',
    message: expect.stringContaining('deployment.apps/web moved from revision 3'),
  });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.3');
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([1, 2, 3, 4]);
});

test('plan, pin, apply: an unchanged Deployment is rolled back to exactly the pinned revision', async () => {
  await deploymentWithHistory(namespace, 'web');
  const plan = await (await start({ deployment: 'web', toRevision: 1, dryRun: true })).result();
  const result = await (await start({ deployment: 'web', pin: plan.pin })).result();
  expect(result).toMatchObject({ changed: true, verified: true, from: expect.stringContaining('revision 3') });
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.0');
});
