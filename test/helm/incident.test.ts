// An incident whose procedure is helmReleaseRollback: a P0 plans it (a dry run with its pin),
// applies the pinned plan at once, and closes rolled back with helm's own revision in the history.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { historyRows, releaseWithFailedUpgrade } from '../support/helm.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { channelConfig } from '../support/incident.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster } from '../support/kubernetes.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let env: TestWorkflowEnvironment;
let receiver: HttpReceiver;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let namespace: string;

beforeAll(async () => {
  const [{ kubeconfigPath }, devServer, http] = await Promise.all([
    ensureCluster(),
    startDevServer(),
    startHttpReceiver(),
  ]);
  [env, receiver] = [devServer, http];
  ({ worker, taskQueue } = await createTestWorker(
    env,
    configFor('http://127.0.0.1:1', {
      KUBECONFIG: kubeconfigPath,
      HELM_BIN: toolPath('helm'),
      ...channelConfig(receiver.url),
    }),
  ));
  running = worker.run();
  namespace = await createTestNamespace('helm-incident');
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await deleteTestNamespace(namespace);
  await Promise.all([env?.teardown(), receiver?.close()]);
});

test('a P0 incident runs helmReleaseRollback as its procedure and closes rolled back', async () => {
  await releaseWithFailedUpgrade(namespace, 'web');
  const handle = await env.client.workflow.start('incidentRollback', {
    args: [
      {
        service: 'web',
        environment: 'production',
        outage: true,
        procedures: [{ type: 'helmReleaseRollback', input: { namespace, release: 'web' } }],
        reason: 'web down after release 3',
        requestedBy: 'alertmanager',
        notify: { channels: [{ channel: 'slack' }] },
      },
    ],
    taskQueue,
    workflowId: `helm-incident-${namespace}`,
  });
  const result: IncidentResult = await handle.result();

  expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
  expect(result.procedures[0]).toMatchObject({ type: 'helmReleaseRollback', status: 'succeeded' });
  expect(await historyRows(namespace, 'web')).toEqual([
    [1, 'superseded', 'Install complete'],
    [2, 'superseded', 'Upgrade complete'],
    [3, 'failed', 'Upgrade "web" failed: context deadline exceeded'],
    [4, 'deployed', 'Rollback to 2'],
  ]);
  const slack = receiver.posted<{ text: string }>('/slack/web').map((m) => m.text);
  expect(
    slack.some((t) => t.startsWith('*✅ ROLLBACK COMPLETE*') && t.includes(`helmReleaseRollback ${namespace}/web`)),
  ).toBe(true);
});
