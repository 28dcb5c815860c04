// The bench's Kubernetes side: the local control plane of scripts/k8s (its K8S_* ports honoured),
// Deployments with a revision history seeded in a few batched kubectl calls, and a watch that
// sees the first change an undo makes to each Deployment.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { deploymentManifest } from '../../test/support/deployments.js';

const execFileAsync = promisify(execFile);

export interface Cluster {
  root: string;
  kubeconfigPath: string;
  /** True when this bench started the control plane (and so stops it). */
  startedHere: boolean;
}

export function kubernetesDataDir(root: string): string {
  return process.env.K8S_DATA_DIR ? path.resolve(root, process.env.K8S_DATA_DIR) : path.join(root, '.data', 'k8s');
}

/** scripts/k8s/up.sh: returns at once when the cluster on these ports is already healthy. */
export async function ensureCluster(root: string): Promise<Cluster> {
  const { stderr } = await execFileAsync('bash', [path.join(root, 'scripts', 'k8s', 'up.sh')], {
    cwd: root,
    env: { ...process.env, K8S_STARTED_BY: 'bench' },
    timeout: 180_000,
  });
  return {
    root,
    kubeconfigPath: path.join(kubernetesDataDir(root), 'kubeconfig'),
    startedHere: !stderr.includes('already running'),
  };
}

export async function stopCluster(cluster: Cluster): Promise<void> {
  if (!cluster.startedHere) return;
  await execFileAsync('bash', [path.join(cluster.root, 'scripts', 'k8s', 'down.sh')], {
    cwd: cluster.root,
    timeout: 60_000,
  });
}

export function kubectlPath(root: string): string {
  return path.join(root, '.tools', 'bin', 'kubectl');
}

/** One kubectl call; `input` goes to its stdin. */
export async function kubectl(cluster: Cluster, args: string[], input?: string): Promise<string> {
  const child = execFileAsync(kubectlPath(cluster.root), ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

interface DeploymentItem {
  metadata: { name: string; generation: number };
  spec: { replicas: number };
  status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
}

/** Every Deployment's spec seen by the controller (its ReplicaSet made); with `complete`, also rolled out. */
async function waitForRollouts(
  cluster: Cluster,
  namespace: string,
  complete: boolean,
  timeoutMs = 600_000,
): Promise<DeploymentItem[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items } = JSON.parse(await kubectl(cluster, ['-n', namespace, 'get', 'deployments', '-o', 'json'])) as {
      items: DeploymentItem[];
    };
    const pending = items.filter(
      (d) =>
        d.status?.observedGeneration !== d.metadata.generation ||
        (complete &&
          (d.status?.updatedReplicas !== d.spec.replicas ||
            d.status?.availableReplicas !== d.spec.replicas ||
            d.status?.replicas !== d.spec.replicas)),
    );
    if (pending.length === 0) return items;
    if (Date.now() > deadline) {
      throw new Error(
        `kubernetes: ${pending.length} Deployments in "${namespace}" not rolled out, e.g. "${pending[0]!.metadata.name}"`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A fresh namespace with one Deployment per name, each with three revisions (the last rolled out)
 * (images web:1.0, 1.1, 1.2, change-cause recorded), as `test/support/deployments.ts` makes them
 * one by one; batched here, and only the last revision waited for until rolled out. Returns each
 * Deployment's generation.
 */
export async function seedDeployments(
  cluster: Cluster,
  namespace: string,
  names: string[],
): Promise<Map<string, number>> {
  await kubectl(cluster, ['create', 'namespace', namespace]);
  const images = ['registry.local/web:1.0', 'registry.local/web:1.1', 'registry.local/web:1.2'];
  const list = { apiVersion: 'v1', kind: 'List', items: names.map((n) => deploymentManifest(n, images[0]!, 1)) };
  await kubectl(cluster, ['-n', namespace, 'apply', '-f', '-'], JSON.stringify(list));
  for (const [i, image] of images.entries()) {
    if (i > 0) await kubectl(cluster, ['-n', namespace, 'set', 'image', 'deployments', '--all', `app=${image}`]);
    await kubectl(cluster, [
      '-n',
      namespace,
      'annotate',
      '--overwrite',
      'deployments',
      '--all',
      `kubernetes.io/change-cause=release ${image}`,
    ]);
    // Each revision needs only its ReplicaSet; waiting for every rollout tripled the seeding time.
    await waitForRollouts(cluster, namespace, false);
  }
  const items = await waitForRollouts(cluster, namespace, true);
  return new Map(items.map((d) => [d.metadata.name, d.metadata.generation]));
}

/**
 * Watches the namespace's Deployments and notes, per Deployment, the moment the bench first sees
 * its generation pass the seeded one: the undo's patch of the pod template, as the API server
 * stored it. `performance.now()` clock, like the bench's send times.
 */
export class FirstChangeWatch {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private abort?: AbortController;

  constructor(
    private readonly cluster: Cluster,
    private readonly namespace: string,
    private readonly seededGeneration: Map<string, number>,
  ) {}

  async start(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.cluster.kubeconfigPath);
    this.abort = await new Watch(kc).watch(
      `/apis/apps/v1/namespaces/${this.namespace}/deployments`,
      {},
      (_type: string, object: DeploymentItem) => {
        const at = performance.now();
        const name = object.metadata.name;
        const seeded = this.seededGeneration.get(name);
        if (seeded === undefined || object.metadata.generation <= seeded || this.seen.has(name)) return;
        this.seen.set(name, at);
        this.waiters.get(name)?.(at);
      },
      (error: unknown) => {
        if (error && !this.abort?.signal.aborted) console.error(`bench: deployment watch ended: ${String(error)}`);
      },
    );
  }

  /** When `name` first changed, waiting up to `timeoutMs` for it. */
  changed(name: string, timeoutMs = 60_000): Promise<number> {
    const at = this.seen.get(name);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`kubernetes: deployment "${this.namespace}/${name}" not changed within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(name, (when) => {
        clearTimeout(timer);
        resolve(when);
      });
    });
  }

  stop(): void {
    this.abort?.abort();
  }
}
