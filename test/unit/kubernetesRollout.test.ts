import type { Deployment, ReplicaSet } from '../../src/domain/kubernetes/objects.js';
import {
  chooseRevision,
  ownedReplicaSets,
  rollbackAnnotations,
  rolloutHistory,
  rolloutStatus,
  templatesEqualIgnoringHash,
} from '../../src/domain/kubernetes/rollout.js';

const deployment: Deployment = {
  metadata: {
    name: 'web',
    uid: 'd-1',
    generation: 4,
    annotations: { 'deployment.kubernetes.io/revision': '3', team: 'payments' },
  },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } },
  status: { observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
};

function rs(name: string, revision: string | undefined, owner = 'd-1', image = name): ReplicaSet {
  return {
    metadata: {
      name,
      annotations:
        revision === undefined
          ? {}
          : { 'deployment.kubernetes.io/revision': revision, 'kubernetes.io/change-cause': `to ${image}` },
      ownerReferences: [{ uid: owner, controller: true }],
    },
    spec: {
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': `h-${name}` } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };
}

test('only ReplicaSets controlled by the Deployment UID count', () => {
  expect(ownedReplicaSets(deployment, [rs('a', '1'), rs('b', '2', 'other')]).map((r) => r.metadata.name)).toEqual([
    'a',
  ]);
});

test('undo goes to the second-highest revision, or the one asked for', () => {
  const owned = [rs('r3', '3'), rs('r1', '1'), rs('r2', '2')];
  expect(chooseRevision(deployment, owned).revision).toBe(2);
  expect(chooseRevision(deployment, owned, 1).replicaSet.metadata.name).toBe('r1');
});

test('kubectl errors: a missing revision, no history, a negative revision', () => {
  expect(() => chooseRevision(deployment, [rs('r1', '1')], 5)).toThrow(
    'unable to find specified revision 5 in history',
  );
  expect(() => chooseRevision(deployment, [rs('r1', '1')])).toThrow('no rollout history found for deployment "web"');
  expect(() => chooseRevision(deployment, [rs('r1', '1')], -1)).toThrow(
    'unable to find specified revision -1 in history',
  );
});

test('templates compare equal ignoring pod-template-hash and empty fields', () => {
  const a = rs('x', '1').spec.template;
  const b = structuredClone(a);
  b.metadata!.labels!['pod-template-hash'] = 'other';
  b.spec!.volumes = [];
  expect(templatesEqualIgnoringHash(a, b)).toBe(true);
  b.spec!.containers[0]!.image = 'y';
  expect(templatesEqualIgnoringHash(a, b)).toBe(false);
});

test('a rollback keeps the Deployment revision annotation and takes the rest from the ReplicaSet', () => {
  expect(rollbackAnnotations(deployment, rs('r1', '1', 'd-1', 'web:1'))).toEqual({
    'deployment.kubernetes.io/revision': '3',
    'kubernetes.io/change-cause': 'to web:1',
  });
});

test('history is ordered by revision with <none> for a missing change-cause', () => {
  const noCause = rs('r2', '2');
  delete noCause.metadata.annotations!['kubernetes.io/change-cause'];
  expect(rolloutHistory([rs('r3', '3'), noCause]).map((h) => [h.revision, h.changeCause])).toEqual([
    [2, '<none>'],
    [3, 'to r3'],
  ]);
});

test.each([
  [{ observedGeneration: 3 }, false, 'Waiting for deployment spec update to be observed...'],
  [
    { observedGeneration: 4, updatedReplicas: 1, replicas: 2 },
    false,
    'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated...',
  ],
  [
    { observedGeneration: 4, updatedReplicas: 2, replicas: 3 },
    false,
    'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
  ],
  [
    { observedGeneration: 4, updatedReplicas: 2, replicas: 2, availableReplicas: 1 },
    false,
    'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...',
  ],
  [
    { observedGeneration: 4, updatedReplicas: 2, replicas: 2, availableReplicas: 2 },
    true,
    'deployment "web" successfully rolled out',
  ],
])('rollout status %j gives kubectl message', (status, done, message) => {
  expect(rolloutStatus({ ...deployment, status })).toMatchObject({ done, message, failed: false });
});

test('a progress deadline exceeded is a failed rollout', () => {
  const stuck = {
    ...deployment,
    status: {
      observedGeneration: 4,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    },
  };
  expect(rolloutStatus(stuck)).toMatchObject({
    failed: true,
    message: 'deployment "web" exceeded its progress deadline',
  });
});
