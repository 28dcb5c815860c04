// A worker process killed with SIGKILL while helmReleaseRollback's `helm rollback --wait` runs:
// helm (its own process group, output to files) finishes on its own, the next worker's retry
// finds the revision it made and adopts it, and history shows exactly one rollback revision.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { HelmReleaseRollbackResult } from '../../src/workflows/helmReleaseRollback.js';
import { chartPath, helm, history, historyRows, set } from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { waitFor } from '../support/ports.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let env: TestWorkflowEnvironment;
let kubeconfigPath: string;
let namespace: string;
let workers: WorkerPool | undefined;
let poolLabel: string;

beforeAll(async () => {
  [{ kubeconfigPath }, env] = await Promise.all([ensureCluster(), startDevServer()]);
  namespace = await createTestNamespace('helm-crash');
  // Pods of revision 1 schedule only on nodes with this label: the test decides when they can.
  poolLabel = `helm-test.rollback-orchestrator.io/${namespace}`;
});
afterAll(async () => {
  await workers?.stopAll('SIGKILL');
  await kubectl(['label', 'nodes', '--all', `${poolLabel}-`]).catch(() => undefined);
  await deleteTestNamespace(namespace);
  await env?.teardown();
});

test('SIGKILL during helm rollback --wait: the next worker adopts the revision helm made, nothing is rolled back twice', async () => {
  // Revision 1 (web:1.0) pinned to labelled nodes, revision 2 (web:1.1) anywhere.
  await kubectl(['label', 'nodes', '--all', `${poolLabel}=yes`]);
  await helm([
    'install',
    'web',
    chartPath,
    '-n',
    namespace,
    '--wait',
    '--timeout',
    '60s',
    ...set({ image: 'registry.local/web:1.0', [`nodeSelector.${poolLabel.replace(/\./g, '\\.')}`]: 'yes' }),
  ]);
  await kubectl(['label', 'nodes', '--all', `${poolLabel}-`]);
  await helm([
    'upgrade',
    'web',
    chartPath,
    '-n',
    namespace,
    '--wait',
    '--timeout',
    '60s',
    ...set({ image: 'registry.local/web:1.1' }),
  ]);

  const taskQueue = uniqueTaskQueue('helm-crash');
  workers = workerPool({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    KUBECONFIG: kubeconfigPath,
    HELM_BIN: toolPath('helm'),
  });
  const first = workers.start();
  const handle = await env.client.workflow.start('helmReleaseRollback', {
    args: [{ namespace, release: 'web', timeoutSeconds: 240 }],
    taskQueue,
    workflowId: `helm-crash-${namespace}`,
  });

  // helm has made revision 3 and waits for its pods, which no node may take yet.
  await waitFor(
    'helm rollback to be waiting (revision 3 pending-rollback)',
    async () => (await history(namespace, 'web')).at(-1)?.status === 'pending-rollback',
    60_000,
    200,
  );
  expect(await first.kill('SIGKILL')).toBeNull();

  // The next worker's retry of helmRollback finds revision 3 still pending and waits for it.
  workers.start();
  await waitFor(
    'the retry of helmRollback',
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'helmRollback' && (a.attempt ?? 0) > 1 && a.lastStartedTime);
    },
    120_000,
    500,
  );
  expect((await history(namespace, 'web')).at(-1)?.status).toBe('pending-rollback');
  // Now the pods may run: the orphaned helm's --wait ends and it records revision 3 deployed.
  await kubectl(['label', 'nodes', '--all', `${poolLabel}=yes`]);

  const result = (await handle.result()) as HelmReleaseRollbackResult;
  expect(result).toMatchObject({ fromRevision: 2, toRevision: 1, newRevision: 3, verified: true, changed: true });
  expect(result.message).toMatch(/^Rollback was a success! \(revision 3, "Rollback to 1", made by an earlier attempt/);
  // Exactly one rollback: a second `helm rollback` would have made revision 4.
  expect(await historyRows(namespace, 'web')).toEqual([
    [1, 'superseded', 'Install complete'],
    [2, 'superseded', 'Upgrade complete'],
    [3, 'deployed', 'Rollback to 1'],
  ]);
  const events = (await handle.fetchHistory()).events ?? [];
  const rollbacks = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'helmRollback');
  expect(rollbacks).toHaveLength(1);
});
