// The helm CLI (.tools/bin/helm, built by `npm run tools`) against the local cluster, and the
// fixture chart test/fixtures/charts/web (a Deployment and a Service).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { kubeconfigPath } from './kubernetes.js';
import { repoRoot, toolPath } from './tools.js';

export const chartPath = path.join(repoRoot, 'test', 'fixtures', 'charts', 'web');

export interface HelmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with the local cluster's kubeconfig; throws on a non-zero exit unless allowFailure. */
export function helmResult(args: string[], opts: { allowFailure?: boolean } = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath('helm'), [...args, '--kubeconfig', kubeconfigPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0 && !opts.allowFailure)
        reject(new Error(`helm ${args.join(' ')} failed (${code}):\n${stderr}${stdout}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

export async function helm(args: string[]): Promise<string> {
  return (await helmResult(args)).stdout;
}

/** Starts helm and returns the process, for a test that kills it half-way. */
export function helmProcess(args: string[]) {
  return spawn(toolPath('helm'), [...args, '--kubeconfig', kubeconfigPath], { stdio: 'ignore' });
}

export interface HistoryRow {
  revision: number;
  status: string;
  chart: string;
  app_version: string;
  description: string;
  updated: string;
}

export async function history(namespace: string, release: string): Promise<HistoryRow[]> {
  return JSON.parse(await helm(['history', release, '-n', namespace, '-o', 'json'])) as HistoryRow[];
}

/** What a rollback leaves in `helm history`, without the times. */
export async function historyRows(namespace: string, release: string): Promise<[number, string, string][]> {
  return (await history(namespace, release)).map((h) => [h.revision, h.status, h.description]);
}

export const set = (values: Record<string, string | number | boolean>) =>
  Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);

/**
 * Three revisions: 1 (web:1.0) and 2 (web:1.1) deployed and ready, then 3 (web:1.2) whose pods
 * never become ready, so `helm upgrade --wait` fails and revision 3 is `failed`.
 */
export async function releaseWithFailedUpgrade(namespace: string, release: string): Promise<void> {
  await helm([
    'install',
    release,
    chartPath,
    '-n',
    namespace,
    '--wait',
    '--timeout',
    '60s',
    ...set({ image: 'registry.local/web:1.0' }),
  ]);
  await helm([
    'upgrade',
    release,
    chartPath,
    '-n',
    namespace,
    '--wait',
    '--timeout',
    '60s',
    ...set({ image: 'registry.local/web:1.1' }),
  ]);
  const failed = await helmResult(
    [
      'upgrade',
      release,
      chartPath,
      '-n',
      namespace,
      '--wait',
      '--timeout',
      '4s',
      ...set({ image: 'registry.local/web:1.2', neverReady: true }),
    ],
    { allowFailure: true },
  );
  if (failed.code === 0) throw new Error(`the never-ready upgrade of ${release} succeeded`);
}

/** The annotations of helm's storage Secret of one revision. */
export function storageSecret(release: string, revision: number): string {
  return `secret/sh.helm.release.v1.${release}.v${revision}`;
}
