// A worker with no Kubernetes configuration fails every Kubernetes activity at once, naming what to set.
import { mkdtempSync, writeFileSync } from 'node:fs';
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

test('a kubeconfig that could not be read is read again on the next request (one written while the worker runs)', async () => {
  const file = path.join(bare.HOME, 'later.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const k8s = createKubernetesActivities(lazyKubeClient(file, bare));
  const first = await failureOf(runActivity(k8s.rolloutHistory, { namespace: 'demo', deployment: 'web' }));
  expect(first.message).toContain('no current cluster');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: plain, cluster: {server: "http://127.0.0.1:9"}}]',
      'contexts: [{name: plain, context: {cluster: plain, user: nobody}}]',
      'current-context: plain',
      'users: [{name: nobody, user: {}}]',
      '',
    ].join('\n'),
  );
  const second = await failureOf(runActivity(k8s.rolloutHistory, { namespace: 'demo', deployment: 'web' }));
  expect(second.message).toContain('plain http');
});
