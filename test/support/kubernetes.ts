// Jest helper for tests that need the local Kubernetes control plane (scripts/k8s/).
//
//   const { kubeconfigPath } = await ensureCluster();   // once per test file (beforeAll)
//   await withNamespace(async (ns) => { await kubectl(['-n', ns, 'get', 'pods']); });
//
// ensureCluster() runs scripts/k8s/up.sh, which returns at once when the cluster is
// already running and healthy, and otherwise starts it (about 10 s). It never skips: when
// the binaries are missing it fails, saying to run `npm run tools:k8s`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './ports.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const k8sBinDir = path.join(repoRoot, '.tools', 'k8s', 'bin');
export const kubectlPath = path.join(repoRoot, '.tools', 'bin', 'kubectl');
export const k8sDataDir = process.env.K8S_DATA_DIR
  ? path.resolve(repoRoot, process.env.K8S_DATA_DIR)
  : path.join(repoRoot, '.data', 'k8s');
export const kubeconfigPath = path.join(k8sDataDir, 'kubeconfig');

const REQUIRED = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kubectl'];

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

function run(
  file: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: repoRoot,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          // spawn failure (ENOENT, ...), not a non-zero exit
          reject(error);
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (error && error.killed) {
          reject(new Error(`${path.basename(file)} ${args.join(' ')} timed out\n${stderr}`));
          return;
        }
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

let clusterPromise: Promise<{ kubeconfigPath: string }> | undefined;

/** Start the local cluster (or reuse the running one); memoised per jest worker. */
export function ensureCluster(): Promise<{ kubeconfigPath: string }> {
  clusterPromise ??= (async () => {
    const missing = REQUIRED.filter((b) => !existsSync(path.join(k8sBinDir, b)));
    if (missing.length > 0 || !existsSync(kubectlPath)) {
      throw new Error(
        `The local Kubernetes binaries are missing (${missing.join(', ') || '.tools/bin/kubectl'} in ${k8sBinDir}). ` +
          'Run `npm run tools:k8s` (bash scripts/k8s/build.sh) first; see docs/kubernetes.md.',
      );
    }
    // A cluster already serving this kubeconfig is reused as is: a git worktree's up.sh sees the
    // binaries under its own path and would not recognise a cluster started from the main checkout.
    if (
      existsSync(kubeconfigPath) &&
      (await kubectlResult(['get', '--raw', '/readyz'], { allowFailure: true })).code === 0
    ) {
      return { kubeconfigPath };
    }
    const res = await run('bash', [path.join(repoRoot, 'scripts', 'k8s', 'up.sh')], {
      timeoutMs: 180_000,
      env: { ...process.env, K8S_STARTED_BY: process.env.K8S_STARTED_BY ?? 'jest' },
    });
    if (res.code !== 0) {
      throw new Error(`scripts/k8s/up.sh failed (exit ${res.code}):\n${res.stderr}\n${res.stdout}`);
    }
    return { kubeconfigPath };
  })();
  // a failed start is not cached, so a later call can try again
  clusterPromise.catch(() => {
    clusterPromise = undefined;
  });
  return clusterPromise;
}

export interface KubectlOptions {
  /** adds `-n NAMESPACE` */
  namespace?: string;
  /** written to kubectl's stdin (for `apply -f -`) */
  input?: string;
  timeoutMs?: number;
  /** resolve with the result instead of throwing when kubectl exits non-zero */
  allowFailure?: boolean;
}

/** Run .tools/bin/kubectl against the local cluster; returns stdout, throws on failure. */
export async function kubectl(args: string[], opts: KubectlOptions = {}): Promise<string> {
  return (await kubectlResult(args, opts)).stdout;
}

export async function kubectlResult(args: string[], opts: KubectlOptions = {}): Promise<RunResult> {
  const full = [...(opts.namespace ? ['-n', opts.namespace] : []), ...args];
  const res = await run(kubectlPath, full, {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 60_000,
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
  });
  if (res.code !== 0 && !opts.allowFailure) {
    throw new Error(`kubectl ${full.join(' ')} failed (exit ${res.code}):\n${res.stderr}${res.stdout}`);
  }
  return res;
}

/** `kubectl ... -o json`, parsed. */
export async function kubectlJson<T = unknown>(args: string[], opts: KubectlOptions = {}): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'], opts)) as T;
}

/** Create a namespace of its own for a test (`PREFIX-xxxxxx`), with its default ServiceAccount. */
export async function createTestNamespace(prefix = 'test'): Promise<string> {
  await ensureCluster();
  const safe =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  const name = `${safe}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', name]);
  // Pods are refused until the ServiceAccount controller has made `default`.
  await waitFor(
    `ServiceAccount default in namespace ${name}`,
    async () =>
      (await kubectlResult(['-n', name, 'get', 'serviceaccount', 'default'], { allowFailure: true })).code === 0,
  );
  return name;
}

/** Delete a test namespace (does not wait for the namespace controller to finish). */
export async function deleteTestNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=false']);
}

/** Run `fn` in a fresh namespace that is deleted afterwards, pass or fail. */
export async function withNamespace<T>(fn: (namespace: string) => Promise<T>, prefix?: string): Promise<T> {
  const ns = await createTestNamespace(prefix);
  try {
    return await fn(ns);
  } finally {
    await deleteTestNamespace(ns);
  }
}
