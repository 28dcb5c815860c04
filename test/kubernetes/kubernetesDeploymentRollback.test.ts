// kubernetesDeploymentRollback on the dev server against the real local control plane, checked
// against what kubectl does to an identical Deployment.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
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
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let namespace: string;
let n = 0;

beforeAll(async () => {
  const [{ kubeconfigPath }, devServer] = await Promise.all([ensureCluster(), startDevServer()]);
  env = devServer;
  ({ worker, taskQueue } = await createTestWorker(
    env,
    configFor('http://127.0.0.1:1', { KUBECONFIG: kubeconfigPath }),
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
  return { template: d.spec.template, annotations: d.metadata.annotations };
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
    const result = await (await start({ deployment: 'by-workflow', ...input })).result();

    expect(result.message).toBe('deployment.apps/by-workflow rolled back');
    expect(result.verification).toMatchObject({ passed: true, pods: { total: 2, ready: 2 } });
    expect(result.newRevision).toBe(4);
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
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.2');
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([1, 2, 3]);
});

test('a rollback stuck on its progress deadline climbs the fallback ladder, confirming each destructive rung', async () => {
  // Revision 1 can never be scheduled (no node matches), so rolling back to it gets stuck.
  const stuck = deploymentManifest('web', 'registry.local/web:1.0', 2);
  stuck.spec.progressDeadlineSeconds = 3;
  (stuck.spec.template.spec as Record<string, unknown>).nodeSelector = { 'no-such-node': 'true' };
  await kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(stuck) });
  await kubectl(['set', 'image', 'deployment/web', 'app=registry.local/web:1.1'], { namespace });
  await kubectl(
    ['patch', 'deployment/web', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]'],
    {
      namespace,
    },
  );
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });

  // Watch the cluster while the workflow runs: replica counts, pod names and the Deployment's UID.
  const seen = { replicas: new Set<number>(), pods: new Set<string>(), uids: new Set<string>() };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const d = await kubectlJson<{ metadata: { uid: string }; spec: { replicas: number } }>(
        ['get', 'deployment/web'],
        {
          namespace,
        },
      ).catch(() => undefined);
      if (d) {
        seen.replicas.add(d.spec.replicas);
        seen.uids.add(d.metadata.uid);
      }
      const pods = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'pods'], { namespace });
      for (const p of pods.items) seen.pods.add(p.metadata.name);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();

  const good = deploymentManifest('web', 'registry.local/web:0.9', 2);
  const handle = await start({
    deployment: 'web',
    toRevision: 1,
    timeoutSeconds: 20,
    fallbacks: { deletePods: true, scaleToZeroAndBack: true, recreateFromManifest: good, pauseAtZeroSeconds: 1 },
  });
  for (const rung of ['scale to zero and back', 'recreate from manifest']) {
    await waitFor(
      `the workflow to ask for confirmation of "${rung}"`,
      async () => {
        const status = await handle.query<ProcedureStatus>('status');
        return status.awaitingConfirmation === rung;
      },
      90_000,
      250,
    );
    await handle.signal('confirm', { by: 'alice', step: rung });
  }
  const result = await handle.result();
  watching = false;
  await watcher;

  expect(result.fallbacks).toEqual([
    { rung: 'delete pods', outcome: 'not settled', detail: expect.stringContaining('exceeded its progress deadline') },
    { rung: 'scale to zero and back', outcome: 'not settled', detail: expect.any(String), confirmedBy: 'alice' },
    { rung: 'recreate from manifest', outcome: 'settled', detail: expect.any(String), confirmedBy: 'alice' },
  ]);
  expect(result.verification).toMatchObject({ passed: true, pods: { ready: 2 } });
  expect(seen.replicas.has(0)).toBe(true);
  expect(seen.uids.size).toBeGreaterThanOrEqual(2);
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:0.9');
});
