// The local Kubernetes control plane in `npm start`: started (or reused) and seeded with the demo
// Deployment when its binaries are built; stopped on exit only if this start script started it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const STARTED_BY = 'npm-start';

export const DEMO_DEPLOYMENT = { namespace: 'demo', deployment: 'web' };

/** A P0 incident (complete outage of the demo web service) that rolls the demo Deployment back. */
export const DEMO_K8S_INCIDENT = {
  workflowId: 'rollback-demo-web',
  input: {
    service: 'web',
    environment: 'demo',
    outage: true,
    procedures: [{ type: 'kubernetesDeploymentRollback', input: DEMO_DEPLOYMENT }],
    reason: 'demo: web returns 500 on every request after release 3.0.0',
    requestedBy: 'on-call',
    incidentCommander: 'on-call',
  },
};

export interface KubernetesDemo {
  kubeconfigPath: string;
  dataDir: string;
}

export function kubernetesDataDir(root: string): string {
  return process.env.K8S_DATA_DIR ? path.resolve(root, process.env.K8S_DATA_DIR) : path.join(root, '.data', 'k8s');
}

export function kubernetesBuilt(root: string): boolean {
  return existsSync(path.join(root, '.tools', 'k8s', 'bin', 'kube-apiserver'));
}

/** Runs scripts/k8s/demo.sh (which starts the cluster if needed) and returns the kubeconfig. */
export async function startKubernetesDemo(root: string): Promise<KubernetesDemo> {
  const dataDir = kubernetesDataDir(root);
  await execFileAsync('bash', [path.join(root, 'scripts', 'k8s', 'demo.sh')], {
    cwd: root,
    env: { ...process.env, K8S_STARTED_BY: process.env.K8S_STARTED_BY ?? STARTED_BY },
    timeout: 180_000,
  });
  return { kubeconfigPath: path.join(dataDir, 'kubeconfig'), dataDir };
}

/** Stops the cluster if `npm start` started it; a cluster started by hand or by tests stays up. */
export async function stopKubernetesDemo(root: string, demo: KubernetesDemo): Promise<boolean> {
  let startedBy = '';
  try {
    startedBy = readFileSync(path.join(demo.dataDir, 'started-by'), 'utf8').trim();
  } catch {
    return false;
  }
  if (startedBy !== STARTED_BY) return false;
  await execFileAsync('bash', [path.join(root, 'scripts', 'k8s', 'down.sh')], { cwd: root, timeout: 60_000 });
  return true;
}
