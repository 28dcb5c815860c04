// A worker with no Kubernetes configuration fails every Kubernetes activity at once, naming what to set.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createKubernetesActivities, lazyKubeClient } from '../../src/activities/kubernetes/index.js';
import { runActivity } from '../support/activityContext.js';

// An environment with no KUBECONFIG, an empty home (no ~/.kube/config) and no in-cluster variables.
const bare = { HOME: mkdtempSync(path.join(os.tmpdir(), 'no-kube-')), PATH: process.env.PATH };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

test.each([
  [
    'rolloutHistory',
    (k: ReturnType<typeof createKubernetesActivities>) =>
      runActivity(k.rolloutHistory, { namespace: 'demo', deployment: 'web' }),
  ],
  [
    'readServiceSelector',
    (k: ReturnType<typeof createKubernetesActivities>) =>
      runActivity(k.readServiceSelector, { namespace: 'demo', service: 'web' }),
  ],
  [
    'deploymentsUsing',
    (k: ReturnType<typeof createKubernetesActivities>) =>
      runActivity(k.deploymentsUsing, { namespace: 'demo', configMap: 'web' }),
  ],
])('%s without KUBECONFIG or in-cluster variables fails non-retryably as NotConfigured', async (_name, call) => {
  const failure = await failureOf(call(createKubernetesActivities(lazyKubeClient(undefined, bare))));
  expect(failure.type).toBe('NotConfigured');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('KUBECONFIG');
  expect(failure.message).toContain('KUBERNETES_SERVICE_HOST');
  expect(failure.message).toContain('KUBERNETES_SERVICE_PORT');
});

test('a KUBECONFIG naming a missing file fails as NotConfigured', async () => {
  const k8s = createKubernetesActivities(lazyKubeClient(path.join(bare.HOME, 'missing.yaml'), bare));
  const failure = await failureOf(runActivity(k8s.rolloutHistory, { namespace: 'demo', deployment: 'web' }));
  expect(failure.type).toBe('NotConfigured');
  expect(failure.message).toContain('missing.yaml');
});
