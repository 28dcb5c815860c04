// A worker process killed with SIGKILL while kubernetesDeploymentRollback waits for the rollout:
// a new worker resumes the wait, the workflow completes, and exactly one undo was applied.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { deploymentWithHistory, historyRows, imageOf } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { waitFor } from '../support/ports.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
let kubeconfigPath: string;
let namespace: string;
let workers: WorkerPool | undefined;

beforeAll(async () => {
  [{ kubeconfigPath }, env] = await Promise.all([ensureCluster(), startDevServer()]);
  namespace = await createTestNamespace('crash');
});
afterAll(async () => {
  await workers?.stopAll('SIGKILL');
  await deleteTestNamespace(namespace);
  await env?.teardown();
});

test('SIGKILL during rollout status: the next worker finishes the wait and the undo is applied once', async () => {
  await deploymentWithHistory(namespace, 'web');
  // New pods count as available only after 12 s, so the rollout wait is long enough to kill in.
  await kubectl(['patch', 'deployment/web', '-p', '{"spec":{"minReadySeconds":12}}'], { namespace });
  await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });

  const taskQueue = uniqueTaskQueue('crash');
  workers = workerPool({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, KUBECONFIG: kubeconfigPath });
  const first = workers.start();
  const handle = await env.client.workflow.start('kubernetesDeploymentRollback', {
    args: [{ namespace, deployment: 'web', timeoutSeconds: 120 }],
    taskQueue,
    workflowId: `crash-${namespace}`,
  });

  await waitFor(
    'waitForRollout to be running',
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'waitForRollout' && a.lastStartedTime);
    },
    60_000,
    200,
  );
  expect(await first.kill('SIGKILL')).toBeNull();

  workers.start();
  const result = await handle.result();

  expect(result.message).toBe('deployment.apps/web rolled back; verification healthy: 1 of 1 checks passed');
  expect(result.settled.passed).toBe(true);
  expect(await imageOf(namespace, 'web')).toBe('registry.local/web:1.1');
  // One undo: revision 2 became 4. A second undo would have made revision 5.
  expect((await historyRows(namespace, 'web')).map(([r]) => r)).toEqual([1, 3, 4]);
  const events = (await handle.fetchHistory()).events ?? [];
  const undoStarts = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'rolloutUndo');
  expect(undoStarts).toHaveLength(1);
  const waitAttempts = events.filter(
    (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1,
  );
  expect(waitAttempts.length).toBeGreaterThanOrEqual(1);
});
