// helmReleaseRollback on the dev server against the real local control plane and the real helm
// CLI, checked against what `helm rollback` by hand does to a twin release.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { HelmReleaseRollbackResult } from '../../src/workflows/helmReleaseRollback.js';
import type { ProcedureStatus } from '../../src/workflows/support/progress.js';
import {
  chartPath,
  helm,
  helmProcess,
  history,
  historyRows,
  releaseWithFailedUpgrade,
  set,
  storageSecret,
} from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

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
    configFor('http://127.0.0.1:1', { KUBECONFIG: kubeconfigPath, HELM_BIN: toolPath('helm') }),
  ));
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});
beforeEach(async () => {
  namespace = await createTestNamespace('helm-rollback');
});
afterEach(() => deleteTestNamespace(namespace));

function start(input: Record<string, unknown>): Promise<WorkflowHandle> {
  n += 1;
  return env.client.workflow.start('helmReleaseRollback', {
    args: [{ namespace, ...input }],
    taskQueue,
    workflowId: `helm-rollback-${process.pid}-${n}`,
  });
}

async function run(input: Record<string, unknown>): Promise<HelmReleaseRollbackResult> {
  return (await (await start(input)).result()) as HelmReleaseRollbackResult;
}

async function failure(input: Record<string, unknown>): Promise<{ type?: string; message: string }> {
  const error = await (await start(input)).result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string } | undefined;
  return { type: cause?.type, message: cause?.message ?? '' };
}

const imageOf = (release: string) =>
  kubectl(['get', `deployment/${release}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], { namespace });
const markOf = (release: string, revision: number) =>
  kubectl(
    [
      'get',
      storageSecret(release, revision),
      '-o',
      `jsonpath={.metadata.annotations.rollback-orchestrator\\.io/rolled-back-from}`,
    ],
    {
      namespace,
    },
  );

describe.each([
  ['the previous deployed revision', {}, [], 'registry.local/web:1.1'],
  ['toRevision 1', { toRevision: 1 }, ['1'], 'registry.local/web:1.0'],
])('rolling back to %s', (_name, extra, byHand, image) => {
  test('leaves the same history as helm rollback by hand on a twin release, and marks the revision left', async () => {
    await Promise.all([releaseWithFailedUpgrade(namespace, 'web'), releaseWithFailedUpgrade(namespace, 'twin')]);

    const result = await run({ release: 'web', ...extra });
    await helm(['rollback', 'twin', ...byHand, '-n', namespace, '--wait', '--timeout', '60s']);

    // The same revisions, statuses and descriptions (helm's failure text names its own release).
    const named = async (release: string) =>
      (await historyRows(namespace, release)).map(([r, s, d]) => [r, s, d.replace(`"${release}"`, '"<release>"')]);
    expect(await named('web')).toEqual(await named('twin'));
    expect((await historyRows(namespace, 'web')).at(-1)).toEqual([4, 'deployed', `Rollback to ${result.toRevision}`]);
    expect(await imageOf('web')).toBe(image);
    expect(await imageOf('twin')).toBe(image);
    expect(result).toMatchObject({
      release: 'web',
      fromRevision: 3,
      newRevision: 4,
      changed: true,
      verified: true,
      dryRun: false,
      from: 'revision 3 (failed)',
      message: 'Rollback was a success! Happy Helming!; verification healthy: 1 of 1 checks passed',
    });
    // The natural check, in the verifyRollback child: podStatus of the release's Deployment.
    expect(result.verification).toMatchObject({
      verdict: 'healthy',
      results: [{ check: 'podStatus', target: `${namespace}/web`, status: 'passed', readings: 1 }],
    });
    expect(result.deployments).toEqual([
      expect.objectContaining({
        namespace,
        deployment: 'web',
        passed: true,
        pods: expect.objectContaining({ ready: 2 }),
      }),
    ]);
    // The guard's mark sits on revision 3's storage Secret, and the plan reports it.
    expect(JSON.parse(await markOf('web', 3))).toMatchObject({
      to: result.toRevision,
      by: `helm-rollback-${process.pid}-${n}`,
    });
    expect(result.lastRollback).toMatchObject({ from: 'revision 3', by: `helm-rollback-${process.pid}-${n}` });
  });
});

test('a dry run returns the plan with its pin and changes nothing; the pinned apply rolls back', async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  const before = await history(namespace, 'web');

  const plan = await run({ release: 'web', dryRun: true });
  expect(plan).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    fromRevision: 3,
    toRevision: 2,
    from: 'revision 3 (failed)',
    to: 'revision 2 (deployed)',
    pin: { currentRevision: 3, toRevision: 2 },
    message: `dry run: would run helm rollback web 2 -n ${namespace} --wait --timeout 300s (from revision 3 to 2)`,
  });
  expect(plan.lastRollback).toBeUndefined();
  expect(await history(namespace, 'web')).toEqual(before);
  expect(await markOf('web', 3)).toBe('');

  const applied = await run({ release: 'web', pin: plan.pin });
  expect(applied).toMatchObject({ fromRevision: 3, toRevision: 2, newRevision: 4, verified: true });
});

test('a pinned apply fails TargetChanged when the release moved since the plan, and changes nothing', async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  const plan = await run({ release: 'web', dryRun: true });
  // (no --wait: helm's three-way merge keeps revision 3's never-ready label on the live template)
  await helm(['upgrade', 'web', chartPath, '-n', namespace, ...set({ image: 'registry.local/web:1.3' })]);
  const moved = await history(namespace, 'web');

  const refused = await failure({ release: 'web', pin: plan.pin });
  expect(refused.type).toBe('TargetChanged');
  expect(refused.message).toBe(
    `helm: release "web" in namespace "${namespace}" moved since the plan: its newest revision is 4 (deployed: Upgrade complete), planned 3; plan again`,
  );
  expect(await history(namespace, 'web')).toEqual(moved);
});

test('the guard refuses to roll back onto the revision a rollback left, and the next default skips it', async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  await run({ release: 'web' }); // 3 -> 2, revision 4 "Rollback to 2"; revision 3 marked
  const after = await history(namespace, 'web');

  const dry = await run({ release: 'web', toRevision: 3, dryRun: true });
  expect(dry.markedTarget).toMatch(/^helm: revision 3 of release "web" was rolled back from at .* by helm-rollback-/);
  expect(dry.message).toBe(`dry run: would refuse: ${dry.markedTarget}`);
  expect(dry.lastRollback).toMatchObject({ from: 'revision 3' });

  const refused = await failure({ release: 'web', toRevision: 3 });
  expect(refused.type).toBe('MarkedTarget');
  expect(refused.message).toContain('give allowMarkedTarget: true to roll back onto it anyway');
  expect(await history(namespace, 'web')).toEqual(after);

  // The default skips 3 (marked) and 2 (revision 4 is its copy): it goes to 1.
  const next = await run({ release: 'web', dryRun: true });
  expect(next).toMatchObject({ fromRevision: 4, toRevision: 1 });
});

test("failures reach the user in helm's words and change nothing", async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  const before = await history(namespace, 'web');

  expect(await failure({ release: 'nope' })).toEqual({
    type: 'NotFound',
    message: `helm history nope -n ${namespace} -o json: Error: release: not found`,
  });
  expect(await failure({ release: 'web', toRevision: 9 })).toEqual({
    type: 'NotFound',
    message: `helm: release "web" in namespace "${namespace}": Error: release has no 9 version`,
  });
  expect(await failure({ release: 'Web_1', timeoutSeconds: -1 })).toEqual({
    type: 'InvalidInput',
    message:
      'helmReleaseRollback: invalid input: release: must be a helm release name (lower case letters, digits, "-" and "."); timeoutSeconds: Number must be greater than 0',
  });
  expect(await history(namespace, 'web')).toEqual(before);
});

test('a release locked by a pending upgrade is rolled back to the last deployed revision only after confirm', async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  // An upgrade whose helm dies while it waits leaves revision 4 pending-upgrade: helm's lock.
  const upgrade = helmProcess([
    'upgrade',
    'web',
    chartPath,
    '-n',
    namespace,
    '--wait',
    '--timeout',
    '120s',
    ...set({ image: 'registry.local/web:1.4', neverReady: true }),
  ]);
  await waitFor(
    'revision 4 pending-upgrade',
    async () => (await history(namespace, 'web')).at(-1)?.status === 'pending-upgrade',
    60_000,
  );
  upgrade.kill('SIGKILL');
  const locked = await history(namespace, 'web');

  const plan = await run({ release: 'web', dryRun: true });
  expect(plan).toMatchObject({
    fromRevision: 4,
    toRevision: 2,
    lock: 'revision 4 is pending-upgrade (another operation (install/upgrade/rollback) is in progress)',
    pin: { currentRevision: 4, toRevision: 2 },
  });
  expect(plan.message).toContain(
    `would run helm rollback web 2 -n ${namespace} --wait --timeout 300s (the last deployed revision, helm's way out)`,
  );

  const unconfirmed = await failure({ release: 'web', pin: plan.pin, confirmationTimeoutSeconds: 1 });
  expect(unconfirmed.type).toBe('FailedPrecondition');
  expect(unconfirmed.message).toBe(
    `helm: release "web" is locked: revision 4 is pending-upgrade (another operation (install/upgrade/rollback) is in progress); the way out is helm rollback web 2 -n ${namespace} --wait --timeout 300s (the last deployed revision); nobody confirmed "roll back a locked release" within 1s. Make sure no helm operation is still running on it, then start again and confirm`,
  );
  expect(await history(namespace, 'web')).toEqual(locked);

  const handle = await start({ release: 'web', pin: plan.pin });
  await waitFor('the confirmation wait', async () => {
    const status = await handle.query<ProcedureStatus>('status');
    return status.awaitingConfirmation === 'roll back a locked release';
  });
  await handle.signal('confirm', { by: 'alice' });
  const result = (await handle.result()) as HelmReleaseRollbackResult;
  expect(result).toMatchObject({ fromRevision: 4, toRevision: 2, newRevision: 5, verified: true });
  expect((await historyRows(namespace, 'web')).at(-1)).toEqual([5, 'deployed', 'Rollback to 2']);
  expect(await imageOf('web')).toBe('registry.local/web:1.1');
});
