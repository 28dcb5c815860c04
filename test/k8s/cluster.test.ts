// The local control plane (scripts/k8s/) behaves like a real cluster: the real deployment,
// ReplicaSet and EndpointSlice controllers run, and kwok plays the kubelet for fake nodes.
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { waitFor } from '../support/ports.js';

import {
  ensureCluster,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  kubectlResult,
  withNamespace,
} from '../support/kubernetes.js';

jest.setTimeout(120_000);

const REVISION = 'deployment.kubernetes.io/revision';
/** Pods with this label start but never become Ready (scripts/k8s/kwok-extra-stages.yaml). */
const NEVER_READY = 'rollback-orchestrator.test/never-ready';
const IMAGES = ['registry.local/web:1.0.0', 'registry.local/web:2.0.0', 'registry.local/web:3.0.0'] as const;

interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: { kind: string; name: string }[];
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: { name: string; image: string }[] };
}
interface ReplicaSet {
  metadata: Meta;
  spec: { replicas: number; template: PodTemplate };
  status: { replicas: number; readyReplicas?: number };
}
interface Pod {
  metadata: Meta;
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
interface Deployment {
  metadata: Meta & { generation: number };
  spec: { replicas: number; template: PodTemplate };
  status: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
}
interface List<T> {
  items: T[];
}

/** The image of the first container of a pod spec (fails the test when there is none). */
function imageOf(spec: { containers: { image: string }[] }): string {
  const image = spec.containers[0]?.image;
  if (image === undefined) throw new Error('pod spec without a container');
  return image;
}

function deploymentYaml(name: string, image: string, replicas: number, labels: Record<string, string> = {}): string {
  const all = { app: name, ...labels };
  const labelLines = Object.entries(all)
    .map(([k, v]) => `        ${k}: ${v}`)
    .join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  revisionHistoryLimit: 10
  selector:
    matchLabels:
${labelLines.replace(/^ {8}/gm, '      ')}
  template:
    metadata:
      labels:
${labelLines}
    spec:
      containers:
      - name: app
        image: ${image}
        ports:
        - containerPort: 8080
`;
}

async function replicaSets(ns: string, app: string): Promise<ReplicaSet[]> {
  const list = await kubectlJson<List<ReplicaSet>>(['get', 'replicasets', '-l', `app=${app}`], { namespace: ns });
  return list.items;
}

async function livePods(ns: string, selector: string): Promise<Pod[]> {
  const list = await kubectlJson<List<Pod>>(['get', 'pods', '-l', selector], { namespace: ns });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

const isReady = (p: Pod): boolean =>
  p.status.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function rolloutStatus(ns: string, name: string): Promise<string> {
  return kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s'], { namespace: ns, timeoutMs: 70_000 });
}

async function setImage(ns: string, name: string, image: string): Promise<void> {
  await kubectl(['set', 'image', `deployment/${name}`, `app=${image}`], { namespace: ns });
  await rolloutStatus(ns, name);
}

/** A Deployment `web` rolled out three times, one image each time (revisions 1, 2, 3). */
async function deploymentWithThreeRevisions(ns: string, replicas = 2): Promise<void> {
  await kubectl(['apply', '-f', '-'], { namespace: ns, input: deploymentYaml('web', IMAGES[0], replicas) });
  await rolloutStatus(ns, 'web');
  await setImage(ns, 'web', IMAGES[1]);
  await setImage(ns, 'web', IMAGES[2]);
}

/** revision annotation -> image of that ReplicaSet's template */
async function revisionImages(ns: string, app: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const rs of await replicaSets(ns, app)) {
    out.set(Number(rs.metadata.annotations?.[REVISION]), imageOf(rs.spec.template.spec));
  }
  return out;
}

/** The revision numbers `kubectl rollout history` prints, in order. */
async function historyRevisions(ns: string, name: string): Promise<number[]> {
  const out = await kubectl(['rollout', 'history', `deployment/${name}`], { namespace: ns });
  return out
    .split('\n')
    .map((line) => /^(\d+)\s/.exec(line.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
}

async function deploymentImage(ns: string, name: string): Promise<string> {
  const d = await kubectlJson<Deployment>(['get', 'deployment', name], { namespace: ns });
  return imageOf(d.spec.template.spec);
}

async function readyPodImages(ns: string, app: string, want: number): Promise<string[]> {
  return waitFor(`${want} Ready pods of ${app}`, async () => {
    const pods = await livePods(ns, `app=${app}`);
    return pods.length === want && pods.every(isReady) ? pods.map((p) => imageOf(p.spec)) : undefined;
  });
}

beforeAll(async () => {
  await ensureCluster();
}, 180_000);

describe('local Kubernetes control plane', () => {
  test('@kubernetes/client-node lists the Ready fake nodes through the generated TLS kubeconfig', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const cluster = kc.getCurrentCluster();
    expect(cluster?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster?.skipTLSVerify).toBeFalsy();

    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const ready = nodes.items.filter((n) =>
      (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(ready.length).toBeGreaterThanOrEqual(3);
    expect(ready.map((n) => n.metadata?.name).sort()).toEqual(
      expect.arrayContaining(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']),
    );
  });

  test('a Deployment whose image changed twice has ReplicaSets of revisions 1, 2, 3 and Running, Ready pods', async () => {
    await withNamespace(async (ns) => {
      await deploymentWithThreeRevisions(ns, 2);

      const revisions = await revisionImages(ns, 'web');
      expect([...revisions.keys()].sort()).toEqual([1, 2, 3]);
      expect(revisions.get(1)).toBe(IMAGES[0]);
      expect(revisions.get(2)).toBe(IMAGES[1]);
      expect(revisions.get(3)).toBe(IMAGES[2]);

      // only the newest ReplicaSet keeps replicas
      const byRevision = new Map((await replicaSets(ns, 'web')).map((rs) => [rs.metadata.annotations?.[REVISION], rs]));
      expect(byRevision.get('3')?.spec.replicas).toBe(2);
      expect(byRevision.get('1')?.spec.replicas).toBe(0);
      expect(byRevision.get('2')?.spec.replicas).toBe(0);

      const pods = await waitFor('2 Ready pods of revision 3', async () => {
        const live = await livePods(ns, 'app=web');
        return live.length === 2 && live.every(isReady) ? live : undefined;
      });
      for (const pod of pods) {
        expect(imageOf(pod.spec)).toBe(IMAGES[2]);
        expect(pod.spec.nodeName).toMatch(/^kwok-node-\d+$/); // placed by the real scheduler
        expect(pod.status.phase).toBe('Running');
        expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
          kind: 'ReplicaSet',
          name: byRevision.get('3')?.metadata.name,
        });
      }

      const d = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
      expect(d.metadata.annotations?.[REVISION]).toBe('3');
      expect(d.status.observedGeneration).toBe(d.metadata.generation);
      expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
      expect(d.status.conditions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
          expect.objectContaining({ type: 'Available', status: 'True' }),
        ]),
      );

      const status = await rolloutStatus(ns, 'web');
      expect(status).toContain('successfully rolled out');
    });
  });

  test('rollout undo returns to the previous image as revision 4, and undo --to-revision=1 as revision 5', async () => {
    await withNamespace(async (ns) => {
      await deploymentWithThreeRevisions(ns, 2);
      expect(await historyRevisions(ns, 'web')).toEqual([1, 2, 3]);

      await kubectl(['rollout', 'undo', 'deployment/web'], { namespace: ns });
      await rolloutStatus(ns, 'web');
      expect(await deploymentImage(ns, 'web')).toBe(IMAGES[1]);
      expect(await readyPodImages(ns, 'web', 2)).toEqual([IMAGES[1], IMAGES[1]]);
      // the controller reuses revision 2's ReplicaSet and renumbers it 4
      let revisions = await revisionImages(ns, 'web');
      expect([...revisions.keys()].sort()).toEqual([1, 3, 4]);
      expect(revisions.get(4)).toBe(IMAGES[1]);
      expect(await historyRevisions(ns, 'web')).toEqual([1, 3, 4]);

      await kubectl(['rollout', 'undo', 'deployment/web', '--to-revision=1'], { namespace: ns });
      await rolloutStatus(ns, 'web');
      expect(await deploymentImage(ns, 'web')).toBe(IMAGES[0]);
      expect(await readyPodImages(ns, 'web', 2)).toEqual([IMAGES[0], IMAGES[0]]);
      revisions = await revisionImages(ns, 'web');
      expect([...revisions.keys()].sort()).toEqual([3, 4, 5]);
      expect(revisions.get(5)).toBe(IMAGES[0]);
      expect(await historyRevisions(ns, 'web')).toEqual([3, 4, 5]);

      const d = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
      expect(d.metadata.annotations?.[REVISION]).toBe('5');
    });
  });

  test('a release whose pods never become Ready stalls, keeps the old pods, and fails rollout status at the deadline', async () => {
    await withNamespace(async (ns) => {
      await kubectl(['apply', '-f', '-'], { namespace: ns, input: deploymentYaml('web', IMAGES[0], 2) });
      await rolloutStatus(ns, 'web');
      await kubectl(
        [
          'patch',
          'deployment',
          'web',
          '--type=merge',
          '-p',
          JSON.stringify({
            spec: {
              progressDeadlineSeconds: 5,
              template: {
                metadata: { labels: { [NEVER_READY]: 'true' } },
                spec: { containers: [{ name: 'app', image: IMAGES[1] }] },
              },
            },
          }),
        ],
        { namespace: ns },
      );

      const status = await kubectlResult(['rollout', 'status', 'deployment/web', '--timeout=60s'], {
        namespace: ns,
        allowFailure: true,
        timeoutMs: 70_000,
      });
      expect(status.code).not.toBe(0);
      expect(status.stderr).toContain('exceeded its progress deadline');

      const d = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
      expect(d.metadata.annotations?.[REVISION]).toBe('2');
      expect(d.status.conditions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }),
        ]),
      );
      // maxUnavailable 25% of 2 rounds down to 0: both old pods keep serving, one new pod is stuck
      const pods = await livePods(ns, 'app=web');
      const old = pods.filter((p) => imageOf(p.spec) === IMAGES[0]);
      const stuck = pods.filter((p) => imageOf(p.spec) === IMAGES[1]);
      expect(old.filter(isReady)).toHaveLength(2);
      expect(stuck).toHaveLength(1);
      expect(stuck[0]?.status.phase).toBe('Running');
      expect(stuck.filter(isReady)).toHaveLength(0);

      // undo brings revision 1's template back as revision 3, and the stuck pod goes away
      await kubectl(['rollout', 'undo', 'deployment/web'], { namespace: ns });
      await rolloutStatus(ns, 'web');
      expect(await readyPodImages(ns, 'web', 2)).toEqual([IMAGES[0], IMAGES[0]]);
      const after = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
      expect(after.metadata.annotations?.[REVISION]).toBe('3');
    });
  });

  test('pods deleted by hand are recreated by the ReplicaSet', async () => {
    await withNamespace(async (ns) => {
      await kubectl(['apply', '-f', '-'], { namespace: ns, input: deploymentYaml('web', IMAGES[0], 3) });
      await rolloutStatus(ns, 'web');
      const before = (await livePods(ns, 'app=web')).map((p) => p.metadata.name);
      expect(before).toHaveLength(3);

      await kubectl(['delete', 'pods', '-l', 'app=web', '--wait=false'], { namespace: ns });

      const after = await waitFor('3 new Ready pods', async () => {
        const pods = await livePods(ns, 'app=web');
        const fresh = pods.filter((p) => !before.includes(p.metadata.name));
        return fresh.length === 3 && fresh.every(isReady) ? fresh.map((p) => p.metadata.name) : undefined;
      });
      expect(after.some((n) => before.includes(n))).toBe(false);
      // the old pods are gone, not just terminating (kwok removes them as a kubelet would)
      await waitFor('the deleted pods to disappear', async () => {
        const names = (await kubectlJson<List<Pod>>(['get', 'pods', '-l', 'app=web'], { namespace: ns })).items.map(
          (p) => p.metadata.name,
        );
        return names.every((n) => !before.includes(n));
      });
      // recreation is not a new rollout
      const d = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
      expect(d.metadata.annotations?.[REVISION]).toBe('1');
    });
  });

  test('scaling to 0 removes every pod and scaling back to 2 brings Ready pods, without a new revision', async () => {
    await withNamespace(async (ns) => {
      await kubectl(['apply', '-f', '-'], { namespace: ns, input: deploymentYaml('web', IMAGES[0], 2) });
      await rolloutStatus(ns, 'web');

      await kubectl(['scale', 'deployment/web', '--replicas=0'], { namespace: ns });
      await waitFor('no pods left', async () => {
        const all = await kubectlJson<List<Pod>>(['get', 'pods', '-l', 'app=web'], { namespace: ns });
        return all.items.length === 0;
      });
      await waitFor('deployment status to show 0 replicas', async () => {
        const d = await kubectlJson<Deployment>(['get', 'deployment', 'web'], { namespace: ns });
        return d.status.observedGeneration === d.metadata.generation && (d.status.replicas ?? 0) === 0;
      });

      await kubectl(['scale', 'deployment/web', '--replicas=2'], { namespace: ns });
      await rolloutStatus(ns, 'web');
      expect(await readyPodImages(ns, 'web', 2)).toEqual([IMAGES[0], IMAGES[0]]);

      const rs = await replicaSets(ns, 'web');
      expect(rs).toHaveLength(1);
      expect(rs[0]?.metadata.annotations?.[REVISION]).toBe('1');
    });
  });

  test('a Service selector patch round-trips and its EndpointSlice follows the selected pods', async () => {
    await withNamespace(async (ns) => {
      await kubectl(['apply', '-f', '-'], {
        namespace: ns,
        input: [
          deploymentYaml('web-blue', IMAGES[0], 1, { tier: 'web', track: 'blue' }),
          deploymentYaml('web-green', IMAGES[1], 1, { tier: 'web', track: 'green' }),
          `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    tier: web
    track: blue
  ports:
  - name: http
    port: 80
    targetPort: 8080
`,
        ].join('---\n'),
      });
      await rolloutStatus(ns, 'web-blue');
      await rolloutStatus(ns, 'web-green');
      const podIp = async (app: string): Promise<string> => {
        const [pod] = await livePods(ns, `app=${app}`);
        if (!pod?.status.podIP) throw new Error(`no pod IP for ${app}`);
        return pod.status.podIP;
      };
      const blueIp = await waitFor('a blue pod IP', () => podIp('web-blue'));
      const greenIp = await waitFor('a green pod IP', () => podIp('web-green'));
      expect(blueIp).not.toBe(greenIp);

      const endpointIps = async (): Promise<string[]> => {
        const slices = await kubectlJson<List<{ endpoints?: { addresses: string[] }[] }>>(
          ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'],
          { namespace: ns },
        );
        return slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)).sort();
      };
      await waitFor('the EndpointSlice to list the blue pod', async () => {
        const ips = await endpointIps();
        return ips.length === 1 && ips[0] === blueIp;
      });

      await kubectl(['patch', 'service', 'web', '--type=merge', '-p', '{"spec":{"selector":{"track":"green"}}}'], {
        namespace: ns,
      });
      const svc = await kubectlJson<{ spec: { selector: Record<string, string> } }>(['get', 'service', 'web'], {
        namespace: ns,
      });
      expect(svc.spec.selector).toEqual({ tier: 'web', track: 'green' });

      await waitFor('the EndpointSlice to switch to the green pod', async () => {
        const ips = await endpointIps();
        return ips.length === 1 && ips[0] === greenIp;
      });
    });
  });

  test('an Ingress round-trips, and a patch of its backend service is kept', async () => {
    await withNamespace(async (ns) => {
      await kubectl(['apply', '-f', '-'], {
        namespace: ns,
        input: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    example.com/canary-weight: "10"
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.test
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web-blue
            port:
              number: 80
`,
      });
      type Ingress = {
        metadata: Meta;
        spec: {
          ingressClassName: string;
          rules: {
            host: string;
            http: {
              paths: {
                path: string;
                pathType: string;
                backend: { service: { name: string; port: { number: number } } };
              }[];
            };
          }[];
        };
      };
      let ing = await kubectlJson<Ingress>(['get', 'ingress', 'web'], { namespace: ns });
      expect(ing.metadata.annotations?.['example.com/canary-weight']).toBe('10');
      expect(ing.spec).toEqual({
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'web.example.test',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-blue', port: { number: 80 } } } },
              ],
            },
          },
        ],
      });

      await kubectl(
        [
          'patch',
          'ingress',
          'web',
          '--type=json',
          '-p',
          '[{"op":"replace","path":"/spec/rules/0/http/paths/0/backend/service/name","value":"web-green"}]',
        ],
        { namespace: ns },
      );
      ing = await kubectlJson<Ingress>(['get', 'ingress', 'web'], { namespace: ns });
      expect(ing.spec.rules[0]?.http.paths[0]?.backend.service.name).toBe('web-green');
    });
  });
});
