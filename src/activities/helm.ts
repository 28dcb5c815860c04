// Everything that runs the helm CLI (runbook "Kubernetes Application Rollback, Method 3"): helm
// history, helm rollback --wait, helm status, with the kubeconfig the Kubernetes activities use.
// Output is helm's own `-o json`; helm's error lines reach the user verbatim. The rollback guard's
// marks are annotations on helm's storage objects, written through the Kubernetes API.
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Context, log } from '@temporalio/activity';
import {
  HELM_ROLLED_BACK_FROM_ANNOTATION,
  isPending,
  isRollbackRevisionTo,
  newestRevision,
  parseMark,
  type HelmRevision,
  type HelmRollbackMark,
} from '../domain/helm/history.js';
import { nonRetryable } from './failures.js';
import type { KubeClient } from './kubernetes/client.js';

export interface HelmConfig {
  /** The helm binary: HELM_BIN, or `helm` on PATH. */
  binary: string;
  /** Unset: helm's own lookup (KUBECONFIG, ~/.kube/config, in-cluster), as for the Kubernetes client. */
  kubeconfigPath?: string;
}

export interface HelmReleaseRef {
  namespace: string;
  release: string;
}

export interface HelmReleaseStatus {
  revision: number;
  status: string;
  description: string;
  /** The release's Deployments, from its manifest (never its values: they may hold secrets). */
  deployments: { namespace: string; deployment: string }[];
}

export interface HelmRollbackOutcome {
  outcome: 'rolled back' | 'adopted';
  /** The revision the rollback made. */
  revision: number;
  status: string;
  description: string;
  message: string;
}

interface HelmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Errors retrying can fix: the API server or the network, not helm's refusals. helm exits 1 for
 * every error and says which only in text, so its words are all there is to read.
 */
const TRANSIENT =
  /Kubernetes cluster unreachable|connection refused|connection reset|i\/o timeout|TLS handshake timeout|unexpected EOF|the server is currently unable|Too Many Requests|etcdserver|http2: /i;

/** The seconds a rollback's revision may stay pending after its helm's --timeout before it counts as abandoned. */
const PENDING_GRACE_SECONDS = 60;

export function createHelmActivities(config: HelmConfig, kube: () => KubeClient) {
  const globalArgs = config.kubeconfigPath ? ['--kubeconfig', config.kubeconfigPath] : [];
  const shown = (args: string[]) => `helm ${args.join(' ')}`;

  /** Runs helm to the end. With `toFiles`, its output goes to files, so a helm whose worker dies keeps running. */
  async function runHelm(
    args: string[],
    options: { toFiles?: boolean; heartbeat?: () => void } = {},
  ): Promise<HelmRun> {
    const dir = options.toFiles ? await mkdtemp(path.join(os.tmpdir(), 'helm-')) : undefined;
    const files = dir && (await Promise.all([open(path.join(dir, 'out'), 'w'), open(path.join(dir, 'err'), 'w')]));
    const timer = options.heartbeat && setInterval(options.heartbeat, 5_000);
    try {
      return await new Promise<HelmRun>((resolve, reject) => {
        const child = spawn(config.binary, [...args, ...globalArgs], {
          stdio: files ? ['ignore', files[0].fd, files[1].fd] : ['ignore', 'pipe', 'pipe'],
          // Its own process group: a Ctrl-C or SIGTERM aimed at the worker does not stop a rollback half-way.
          detached: Boolean(files),
        });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
        child.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') {
            reject(
              nonRetryable(
                'NotConfigured',
                `helm: the helm binary "${config.binary}" was not found; set HELM_BIN or put helm on PATH (npm run tools builds .tools/bin/helm)`,
              ),
            );
          } else reject(error);
        });
        child.once('close', (code) => {
          if (!dir) return resolve({ code, stdout, stderr });
          Promise.all([readFile(path.join(dir, 'out'), 'utf8'), readFile(path.join(dir, 'err'), 'utf8')]).then(
            ([out, err]) => resolve({ code, stdout: out, stderr: err }),
            reject,
          );
        });
      });
    } finally {
      if (timer) clearInterval(timer);
      if (files) await Promise.all(files.map((f) => f.close()));
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * helm's failure as a Temporal one, in helm's words: "helm history web -n shop: Error: release: not
   * found". helm has no exit codes or JSON errors, and its storage may be SQL, so neither the
   * Kubernetes API nor a status code can say "no such release" or "forbidden" for it: its text does.
   * A missing revision is found from the JSON history before helm runs; "has no N version" is left
   * for a revision pruned in between.
   */
  function helmFailure(args: string[], run: HelmRun, otherwise: 'RollbackFailed' | 'FailedPrecondition'): unknown {
    const lines = run.stderr.trim().split('\n').filter(Boolean);
    const said = lines.filter((l) => l.startsWith('Error:')).pop() ?? lines.pop() ?? `exit code ${String(run.code)}`;
    const message = `${shown(args)}: ${said}`;
    if (TRANSIENT.test(said)) return new Error(message);
    if (/not found|has no [0-9]+ version/.test(said)) return nonRetryable('NotFound', message);
    if (/forbidden|Unauthorized/i.test(said)) return nonRetryable('Forbidden', message);
    return nonRetryable(otherwise, message);
  }

  async function helmJson<T>(args: string[]): Promise<T> {
    const run = await runHelm(args);
    if (run.code !== 0) throw helmFailure(args, run, 'FailedPrecondition');
    return JSON.parse(run.stdout) as T;
  }

  /** `helm history <release> -n <namespace>`, oldest first. */
  async function helmHistory(ref: HelmReleaseRef): Promise<HelmRevision[]> {
    const rows = await helmJson<
      { revision: number; updated: string; status: string; chart: string; app_version: string; description: string }[]
    >(['history', ref.release, '-n', ref.namespace, '-o', 'json']);
    return rows.map(({ app_version, ...row }) => ({ ...row, appVersion: app_version }));
  }

  /** `helm status <release> -n <namespace>`: revision, status and the Deployments it manages. */
  async function helmStatus(ref: HelmReleaseRef): Promise<HelmReleaseStatus> {
    const release = await helmJson<{
      version: number;
      namespace: string;
      info: { status: string; description?: string };
      manifest?: string;
    }>(['status', ref.release, '-n', ref.namespace, '-o', 'json']);
    // yaml loads on this first use, not at worker start (issue 13, goal 5).
    const { parseAllDocuments } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const deployments = parseAllDocuments(release.manifest ?? '')
      .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
      .filter((o) => o?.kind === 'Deployment' && o.metadata?.name)
      .map((o) => ({ namespace: o!.metadata!.namespace ?? release.namespace, deployment: o!.metadata!.name! }));
    return {
      revision: release.version,
      status: release.info.status,
      description: release.info.description ?? '',
      deployments,
    };
  }

  type StoredRelease = {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  };

  /** helm's storage objects of a release (Secrets by default, ConfigMaps with HELM_DRIVER=configmap). */
  async function storageObjects(
    ref: HelmReleaseRef,
    selector: string,
  ): Promise<{ kind: string; items: StoredRelease[] }> {
    const query = `labelSelector=${encodeURIComponent(selector)}`;
    const call = { context: `helm: storage of release "${ref.release}" in namespace "${ref.namespace}"` };
    for (const [kind, resource] of [
      ['Secret', 'secrets'],
      ['ConfigMap', 'configmaps'],
    ] as const) {
      const list = await kube().get<{ items: StoredRelease[] }>(
        `/api/v1/namespaces/${ref.namespace}/${resource}?${query}`,
        call,
      );
      // Only names, labels and annotations leave this function: the data is the release, values and all.
      const items = list.items.map((o) => ({
        metadata: { name: o.metadata.name, labels: o.metadata.labels, annotations: o.metadata.annotations },
      }));
      if (items.length > 0) return { kind, items };
    }
    return { kind: '', items: [] };
  }

  /** The rollback guard's marks on the release's revisions (see HELM_ROLLED_BACK_FROM_ANNOTATION). */
  async function helmRollbackMarks(ref: HelmReleaseRef): Promise<HelmRollbackMark[]> {
    const { items } = await storageObjects(ref, `owner=helm,name=${ref.release}`);
    return items
      .map((o) =>
        parseMark(Number(o.metadata.labels?.version), o.metadata.annotations?.[HELM_ROLLED_BACK_FROM_ANNOTATION]),
      )
      .filter((m): m is HelmRollbackMark => m !== undefined)
      .sort((a, b) => a.revision - b.revision);
  }

  /** Marks revision `revision` as rolled back from; a mark already there is kept (a retry changes nothing). */
  async function markHelmRollback(
    ref: HelmReleaseRef & { revision: number; to: number; at: string; by?: string },
  ): Promise<{ marked: boolean; mark?: HelmRollbackMark; detail: string }> {
    const { kind, items } = await storageObjects(ref, `owner=helm,name=${ref.release},version=${ref.revision}`);
    const stored = items[0];
    if (!stored) {
      const detail = `helm: no Secret or ConfigMap holds revision ${ref.revision} of "${ref.release}" (another storage driver?); not marked`;
      log.warn(detail);
      return { marked: false, detail };
    }
    const existing = parseMark(ref.revision, stored.metadata.annotations?.[HELM_ROLLED_BACK_FROM_ANNOTATION]);
    const where = `${kind} ${stored.metadata.name}`;
    if (existing) return { marked: true, mark: existing, detail: `${where} already marked` };
    const mark: HelmRollbackMark = {
      revision: ref.revision,
      to: ref.to,
      at: ref.at,
      ...(ref.by ? { by: ref.by } : {}),
    };
    const value = JSON.stringify({ to: mark.to, at: mark.at, ...(mark.by ? { by: mark.by } : {}) });
    await kube().patch(
      `/api/v1/namespaces/${ref.namespace}/${kind === 'Secret' ? 'secrets' : 'configmaps'}/${stored.metadata.name}`,
      { metadata: { annotations: { [HELM_ROLLED_BACK_FROM_ANNOTATION]: value } } },
      'merge',
      { context: `helm: ${where}` },
    );
    return { marked: true, mark, detail: `${where} marked` };
  }

  /**
   * `helm rollback <release> <toRevision> --wait --timeout`, exactly once per plan. The plan
   * saw `fromRevision` as the newest revision; helm numbers the rollback's revision one above.
   * So a retry (the worker died while helm ran) that finds that revision made as "Rollback to
   * <toRevision>" adopts it instead of rolling back again, and waits while it is still pending
   * (the orphaned helm finishes its own --wait); anything else newer means the release moved.
   */
  async function helmRollback(
    ref: HelmReleaseRef & { fromRevision: number; toRevision: number; timeoutSeconds: number; wait: boolean },
  ): Promise<HelmRollbackOutcome> {
    const ctx = Context.current();
    const ours = (h: HelmRevision | undefined) =>
      h !== undefined && h.revision === ref.fromRevision + 1 && isRollbackRevisionTo(h, ref.release, ref.toRevision)
        ? h
        : undefined;
    const history = await helmHistory(ref);
    const before = newestRevision(history);
    let made = ours(before);
    if (!made) {
      if (before?.revision !== ref.fromRevision) {
        throw nonRetryable(
          'TargetChanged',
          `helm: release "${ref.release}" moved since the plan: its newest revision is ${before ? `${before.revision} (${before.status}: ${before.description})` : 'gone'}, planned ${ref.fromRevision}; plan again`,
        );
      }
      const args = ['rollback', ref.release, String(ref.toRevision), '-n', ref.namespace];
      if (ref.wait) args.push('--wait');
      args.push('--timeout', `${ref.timeoutSeconds}s`);
      // What helm would refuse with, said before it runs (helm's own words, from its JSON history).
      if (!history.some((h) => h.revision === ref.toRevision)) {
        throw nonRetryable('NotFound', `${shown(args)}: Error: release has no ${ref.toRevision} version`);
      }
      log.info(`running ${shown(args)}`);
      const run = await runHelm(args, {
        toFiles: true,
        heartbeat: () => ctx.heartbeat({ phase: 'helm rollback', fromRevision: ref.fromRevision }),
      });
      made = ours(newestRevision(await helmHistory(ref)));
      if (run.code === 0 && made) {
        return { outcome: 'rolled back', ...describe(made), message: run.stdout.trim() || 'Rollback was a success!' };
      }
      if (!made) throw helmFailure(args, run, 'RollbackFailed');
      if (!isPending(made.status)) throw rollbackFailed(made, `${shown(args)}: ${lastError(run)}`);
      throw abandoned(made);
    }
    // A rollback made by an earlier attempt: its helm may still be waiting (--wait); let it finish.
    const deadline = Date.parse(made.updated) + (ref.timeoutSeconds + PENDING_GRACE_SECONDS) * 1000;
    while (isPending(made.status) && Date.now() < deadline) {
      ctx.heartbeat({ phase: "waiting for an earlier attempt's helm rollback", revision: made.revision });
      await ctx.sleep(2_000);
      made = (await helmHistory(ref)).find((h) => h.revision === made!.revision) ?? made;
    }
    if (isPending(made.status)) throw abandoned(made);
    if (made.status === 'failed') throw rollbackFailed(made, made.description);
    return {
      outcome: 'adopted',
      ...describe(made),
      message: `Rollback was a success! (revision ${made.revision}, "${made.description}", made by an earlier attempt of this rollback)`,
    };
  }

  const describe = (h: HelmRevision) => ({ revision: h.revision, status: h.status, description: h.description });
  const lastError = (run: HelmRun) =>
    run.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('Error:'))
      .pop() ?? `exit code ${String(run.code)}`;
  const rollbackFailed = (h: HelmRevision, said: string) =>
    nonRetryable('RollbackFailed', `helm: rollback revision ${h.revision} is ${h.status}: ${said}`);
  const abandoned = (h: HelmRevision) =>
    nonRetryable(
      'FailedPrecondition',
      `helm: revision ${h.revision} ("${h.description}") is still ${h.status} and its helm is gone (${'another operation (install/upgrade/rollback) is in progress'}); check the Deployments, then roll back to the last deployed revision with helmReleaseRollback (it asks for confirmation)`,
    );

  return { helmHistory, helmStatus, helmRollback, helmRollbackMarks, markHelmRollback };
}
