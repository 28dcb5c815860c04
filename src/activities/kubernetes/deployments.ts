// Deployment operations with kubectl's semantics: rollout history, undo, status, restart and
// set env, plus the runbook's "Rollback Failed" fallbacks. Each one reads before it writes, so a
// retry after a crash at any line converges on the same end state.
import { log } from '@temporalio/activity';
import type { Deployment, Pod, ReplicaSet } from '../../domain/kubernetes/objects.js';
import { selectorToQuery } from '../../domain/kubernetes/objects.js';
import {
  RESTARTED_AT_ANNOTATION,
  RolloutError,
  chooseRevision,
  ownedReplicaSets,
  pausedError,
  revisionOf,
  rollbackPatch,
  rolloutHistory,
  rolloutStatus,
  templatesEqualIgnoringHash,
  withoutHashLabel,
  type RevisionEntry,
  type RolloutStatus,
} from '../../domain/kubernetes/rollout.js';
import {
  currentReplicaSet,
  hashOf,
  lastRollbackOf,
  markedTargetMessage,
  marksOf,
  readMarks,
  ROLLED_BACK_FROM_ANNOTATION,
  withMark,
  type RollbackMark,
} from '../../domain/kubernetes/rollbackMark.js';
import type { LastRollback } from '../../domain/procedures/contract.js';
import { lineDiff, stableJson } from '../../domain/textDiff.js';
import { nonRetryable } from '../failures.js';
import { pollUntil } from '../waiting.js';
import { forbiddenMessage, KubeApiError, patchWithGuard, paths, type KubeClient } from './client.js';

export interface DeploymentRef {
  namespace: string;
  deployment: string;
}

export interface UndoPlan {
  deployment: string;
  namespace: string;
  currentRevision: number;
  /** The pod-template-hash of the current template (absent until the controller made its ReplicaSet). */
  currentTemplateHash?: string;
  targetRevision: number;
  targetTemplateHash?: string;
  /** The ReplicaSet whose template is restored: the key that makes the undo idempotent. */
  targetReplicaSet: string;
  alreadyMatches: boolean;
  paused: boolean;
  replicas: number;
  /** Line diff of the pod template, current (-) to target (+). */
  diff: string;
  /** The mark on the target template, when it was rolled back from before. */
  targetMark?: RollbackMark;
  /** The newest mark on the Deployment or its ReplicaSets. */
  lastRollback?: LastRollback;
}

export interface UndoResult {
  outcome: 'rolled back' | 'skipped';
  message: string;
  revision: number;
}

export interface PodReport {
  total: number;
  running: number;
  ready: number;
  restarts: number;
  pods: { name: string; phase: string; ready: boolean; restarts: number }[];
}

/** The mark a rolloutUndo call writes: its `at` and `by` come from the workflow, the same on every attempt. */
function sameMark(mark: RollbackMark, call: { at: string; by?: string }): boolean {
  return mark.at === call.at && mark.by === call.by;
}

export function createDeploymentActivities(kube: () => KubeClient) {
  const label = (ref: DeploymentRef) => `kubernetes: deployment "${ref.deployment}" in namespace "${ref.namespace}"`;

  async function readDeployment(ref: DeploymentRef): Promise<Deployment> {
    return kube().get<Deployment>(paths.deployment(ref.namespace, ref.deployment), { context: label(ref) });
  }

  const deploymentLabel = (deployment: Deployment) =>
    label({ namespace: deployment.metadata.namespace!, deployment: deployment.metadata.name! });

  async function replicaSetsOf(deployment: Deployment): Promise<ReplicaSet[]> {
    const ns = deployment.metadata.namespace!;
    const list = await kube().get<{ items: ReplicaSet[] }>(
      paths.replicaSets(ns, selectorToQuery(deployment.spec.selector)),
      { context: `${deploymentLabel(deployment)}: replicasets` },
    );
    return ownedReplicaSets(deployment, list.items);
  }

  async function podsOf(deployment: Deployment): Promise<Pod[]> {
    const ns = deployment.metadata.namespace!;
    const list = await kube().get<{ items: Pod[] }>(paths.pods(ns, selectorToQuery(deployment.spec.selector)), {
      context: `${deploymentLabel(deployment)}: pods`,
    });
    return list.items.filter((p) => !p.metadata.deletionTimestamp);
  }

  function currentRevision(deployment: Deployment): number {
    return Number(deployment.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  }

  /** `kubectl rollout history`. */
  async function rolloutHistoryOf(ref: DeploymentRef): Promise<RevisionEntry[]> {
    const deployment = await readDeployment(ref);
    return rolloutHistory(await replicaSetsOf(deployment));
  }

  /** Everything `kubectl rollout undo` decides before it patches, without changing anything. */
  async function planRolloutUndo(ref: DeploymentRef & { toRevision?: number }): Promise<UndoPlan> {
    const deployment = await readDeployment(ref);
    const owned = await replicaSetsOf(deployment);
    let choice;
    try {
      choice = chooseRevision(deployment, owned, ref.toRevision ?? 0);
    } catch (error) {
      if (error instanceof RolloutError) throw nonRetryable('NotFound', `${label(ref)}: ${error.message}`);
      throw error;
    }
    const current = withoutHashLabel(deployment.spec.template);
    const target = withoutHashLabel(choice.replicaSet.spec.template);
    const marks = marksOf(deployment, owned);
    const targetTemplateHash = hashOf(choice.replicaSet);
    const currentRs = currentReplicaSet(deployment, owned);
    return {
      deployment: ref.deployment,
      namespace: ref.namespace,
      currentRevision: currentRevision(deployment),
      currentTemplateHash: currentRs && hashOf(currentRs),
      targetRevision: choice.revision,
      targetTemplateHash,
      targetReplicaSet: choice.replicaSet.metadata.name!,
      alreadyMatches: templatesEqualIgnoringHash(current, target),
      paused: deployment.spec.paused === true,
      replicas: deployment.spec.replicas ?? 1,
      diff: lineDiff(stableJson(current), stableJson(target)),
      targetMark: [...marks].reverse().find((m) => m.templateHash === targetTemplateHash),
      lastRollback: lastRollbackOf(marks),
    };
  }

  /**
   * `kubectl rollout undo` to the template of one ReplicaSet (named, so a retry is a no-op). With
   * `mark`, the same patch records the template rolled back from (the rollback guard); a marked
   * destination is refused unless `allowMarkedTarget`; with `fromTemplateHash` (a pin), a
   * Deployment no longer on that template is refused.
   */
  async function rolloutUndo(
    ref: DeploymentRef & {
      replicaSet: string;
      mark?: { at: string; by?: string };
      allowMarkedTarget?: boolean;
      fromTemplateHash?: string;
    },
  ): Promise<UndoResult> {
    const deployment = await readDeployment(ref);
    const rs = await kube().get<ReplicaSet>(paths.replicaSet(ref.namespace, ref.replicaSet), {
      context: `kubernetes: replicaset "${ref.replicaSet}" of ${label(ref)}`,
    });
    if (ownedReplicaSets(deployment, [rs]).length === 0) {
      throw nonRetryable('Conflict', `kubernetes: replicaset "${ref.replicaSet}" is not controlled by ${label(ref)}`);
    }
    if (deployment.spec.paused) throw nonRetryable('FailedPrecondition', pausedError(ref.deployment).message);
    const revision = revisionOf(rs) ?? 0;
    if (templatesEqualIgnoringHash(rs.spec.template, deployment.spec.template)) {
      // Our own patch, applied by an earlier attempt whose answer was lost: it carries this call's mark.
      if (ref.mark && readMarks(deployment.metadata.annotations).some((m) => sameMark(m, ref.mark!))) {
        const message = `deployment.apps/${ref.deployment} rolled back`;
        log.info(`${message} (by an earlier attempt of this call)`, { ...ref, revision });
        return { outcome: 'rolled back', message, revision };
      }
      const message = `skipped rollback (current template already matches revision ${revision})`;
      log.info(message, { ...ref });
      return { outcome: 'skipped', message, revision };
    }
    const owned = await replicaSetsOf(deployment);
    const marks = marksOf(deployment, owned);
    const targetHash = hashOf(rs) ?? '';
    const targetMark = [...marks].reverse().find((m) => m.templateHash === targetHash);
    if (targetMark && !ref.allowMarkedTarget) {
      throw nonRetryable(
        'MarkedTarget',
        markedTargetMessage(ref.deployment, { revision, templateHash: targetHash }, targetMark),
      );
    }
    const from = currentReplicaSet(deployment, owned);
    const fromHash = from && hashOf(from);
    if (ref.fromTemplateHash !== undefined && fromHash !== ref.fromTemplateHash) {
      throw nonRetryable(
        'TargetChanged',
        `deployment.apps/${ref.deployment} moved from template ${ref.fromTemplateHash} to ${fromHash ?? 'a new template'} since the plan; plan again`,
      );
    }
    // Marks are kept across our own undo (kubectl's would replace them with the ReplicaSet's).
    const extra: Record<string, string> = {};
    if (ref.mark && fromHash) {
      const mark = { templateHash: fromHash, revision: currentRevision(deployment), at: ref.mark.at, by: ref.mark.by };
      extra[ROLLED_BACK_FROM_ANNOTATION] = withMark(marks, mark);
    } else if (marks.length > 0) {
      extra[ROLLED_BACK_FROM_ANNOTATION] = JSON.stringify(marks);
    }
    await kube().patch(paths.deployment(ref.namespace, ref.deployment), rollbackPatch(deployment, rs, extra), 'json', {
      context: `${label(ref)}: failed restoring revision ${revision}`,
    });
    const message = `deployment.apps/${ref.deployment} rolled back`;
    log.info(message, { ...ref, revision });
    return { outcome: 'rolled back', message, revision };
  }

  /**
   * `kubectl rollout status`, heartbeating the replica counts; fails on ProgressDeadlineExceeded.
   * Like kubectl it watches the Deployment: each change wakes a fresh read at once (a rollout on a
   * quiet cluster is done in a fraction of the poll interval); the interval stays as the floor
   * when the watch cannot open or ends.
   */
  async function waitForRollout(
    ref: DeploymentRef & { timeoutSeconds?: number; pollSeconds?: number },
  ): Promise<RolloutStatus & { elapsedSeconds: number }> {
    const changes = kube().changeFeed(paths.deployments(ref.namespace), {
      fieldSelector: `metadata.name=${ref.deployment}`,
    });
    let seen = 0;
    try {
      const result = await pollUntil<RolloutStatus, RolloutStatus>({
        what: `deployment "${ref.deployment}" rollout to finish`,
        intervalMs: (ref.pollSeconds ?? 1) * 1000,
        timeoutMs: (ref.timeoutSeconds ?? 600) * 1000,
        describe: (s) => s.message,
        wake: () => changes.changedSince(seen),
        poll: async () => {
          // Counted before the read: a change during it wakes the next read at once.
          seen = changes.events();
          const status = rolloutStatus(await readDeployment(ref));
          if (status.failed) throw nonRetryable('RolloutFailed', `${label(ref)}: ${status.message}`);
          return status.done ? { done: true, result: status, progress: status } : { done: false, progress: status };
        },
      });
      return { ...result, elapsedSeconds: result.waited.elapsedSeconds };
    } finally {
      changes.stop();
      if (changes.problem) log.info(`${label(ref)}: rollout watch unavailable, polled instead: ${changes.problem}`);
    }
  }

  /** `kubectl get pods -l ...`: how many of the Deployment's pods are Running and Ready. */
  async function podStatus(ref: DeploymentRef): Promise<PodReport> {
    const pods = await podsOf(await readDeployment(ref));
    const report: PodReport = { total: pods.length, running: 0, ready: 0, restarts: 0, pods: [] };
    for (const pod of pods) {
      const phase = pod.status?.phase ?? 'Unknown';
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      const restarts = (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
      if (phase === 'Running') report.running += 1;
      if (ready) report.ready += 1;
      report.restarts += restarts;
      report.pods.push({ name: pod.metadata.name!, phase, ready, restarts });
    }
    return report;
  }

  /** `kubectl logs -l ... --tail=N | grep -c PATTERN`; says so when the cluster serves no logs. */
  async function logErrorCount(
    ref: DeploymentRef & { tailLines?: number; pattern?: string },
  ): Promise<{ available: boolean; errorCount: number; podsRead: number; detail: string }> {
    const pods = await podsOf(await readDeployment(ref));
    const pattern = new RegExp(ref.pattern ?? 'ERROR');
    let errorCount = 0;
    let podsRead = 0;
    const unavailable: string[] = [];
    let denied: string | undefined;
    for (const pod of pods) {
      try {
        const text = await kube().text(paths.podLog(ref.namespace, pod.metadata.name!, ref.tailLines ?? 100));
        podsRead += 1;
        errorCount += text.split('\n').filter((line) => pattern.test(line)).length;
      } catch (error) {
        if (!(error instanceof KubeApiError)) throw error;
        unavailable.push(pod.metadata.name!);
        // A cluster without a log backend is common (this is then "unavailable"); a missing Role rule is said.
        if (error.status === 401 || error.status === 403) denied ??= forbiddenMessage(error);
      }
    }
    const available = podsRead > 0;
    const detail = available
      ? `${errorCount} lines matching ${pattern.source} in the last ${ref.tailLines ?? 100} lines of ${podsRead} pods`
      : `logs unavailable (${unavailable.length} pods, none served logs${denied ? `: ${denied}` : ''})`;
    return { available, errorCount, podsRead, detail };
  }

  /** `kubectl rollout restart`: the restartedAt template annotation, set to the workflow's time. */
  async function rolloutRestart(ref: DeploymentRef & { restartedAt: string }): Promise<{ changed: boolean }> {
    const deployment = await readDeployment(ref);
    if (deployment.spec.paused) {
      throw nonRetryable('FailedPrecondition', "can't restart paused deployment (run rollout resume first)");
    }
    if (deployment.spec.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === ref.restartedAt) {
      return { changed: false };
    }
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: ref.restartedAt } } } } };
    await kube().patch(paths.deployment(ref.namespace, ref.deployment), patch, 'strategic', { context: label(ref) });
    log.info(`deployment.apps/${ref.deployment} restarted`, { ...ref });
    return { changed: true };
  }

  /** The value of an env var in the pod template (the first chosen container's), for plans. */
  async function getDeploymentEnv(
    ref: DeploymentRef & { container?: string; name: string },
  ): Promise<{ value?: string }> {
    const deployment = await readDeployment(ref);
    const container = (deployment.spec.template.spec?.containers ?? []).find(
      (c) => !ref.container || c.name === ref.container,
    );
    if (!container) throw nonRetryable('NotFound', `${label(ref)}: no container named "${ref.container}"`);
    return { value: container.env?.find((e) => e.name === ref.name)?.value };
  }

  /**
   * `kubectl set env deployment/NAME NAME=VALUE [-c container]`; no rollout when already set. The
   * patch tests each changed container's name and env list as read, so a status update meanwhile
   * does not matter and a concurrent env edit is re-read, not overwritten.
   */
  async function setDeploymentEnv(
    ref: DeploymentRef & { container?: string; name: string; value: string },
  ): Promise<{ changed: boolean; previous?: string; message: string }> {
    const { patched, value: previous } = await patchWithGuard(
      kube(),
      paths.deployment(ref.namespace, ref.deployment),
      label(ref),
      async () => {
        const deployment = await readDeployment(ref);
        const containers = deployment.spec.template.spec?.containers ?? [];
        const ops: object[] = [];
        let previous: string | undefined;
        let matched = 0;
        containers.forEach((container, index) => {
          if (ref.container && container.name !== ref.container) return;
          const env = container.env ?? [];
          const existing = env.find((e) => e.name === ref.name);
          if (matched === 0) previous = existing?.value;
          matched += 1;
          if (existing && existing.value === ref.value && !existing.valueFrom) return;
          const next = existing
            ? env.map((e) => (e.name === ref.name ? { name: ref.name, value: ref.value } : e))
            : [...env, { name: ref.name, value: ref.value }];
          const at = `/spec/template/spec/containers/${index}`;
          // Without an env list there is nothing narrower to test than the container itself.
          const guard = container.env ? { path: `${at}/env`, value: container.env } : { path: at, value: container };
          ops.push(
            { op: 'test', path: `${at}/name`, value: container.name },
            { op: 'test', ...guard },
            { op: container.env ? 'replace' : 'add', path: `${at}/env`, value: next },
          );
        });
        if (matched === 0) {
          throw nonRetryable('NotFound', `${label(ref)}: no container named "${ref.container}"`);
        }
        return { ops: ops.length > 0 ? ops : undefined, value: previous };
      },
    );
    if (!patched) {
      return {
        changed: false,
        previous,
        message: `deployment.apps/${ref.deployment} ${ref.name} already set (no new rollout)`,
      };
    }
    const message = `deployment.apps/${ref.deployment} env updated: ${ref.name} ${previous ?? '(unset)'} -> ${ref.value}`;
    log.info(message, { ...ref });
    return { changed: true, previous, message };
  }

  /** Destructive fallback rung: delete the pods that were there (by UID, so a retry spares their replacements). */
  async function deletePods(ref: DeploymentRef): Promise<{ deleted: string[] }> {
    const pods = await podsOf(await readDeployment(ref));
    const deleted: string[] = [];
    for (const pod of pods) {
      const answer = await kube().delete(
        paths.pod(ref.namespace, pod.metadata.name!),
        { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: pod.metadata.uid } },
        // Already gone, or already replaced under the same name: nothing left to do for it.
        { context: `kubernetes: pod "${pod.metadata.name}"`, allow: [404, 409] },
      );
      if (answer !== undefined) deleted.push(pod.metadata.name!);
    }
    return { deleted };
  }

  /** `kubectl scale --replicas=N`; reports the count it replaced. */
  async function scaleDeployment(
    ref: DeploymentRef & { replicas: number },
  ): Promise<{ changed: boolean; from: number; to: number }> {
    const deployment = await readDeployment(ref);
    const from = deployment.spec.replicas ?? 1;
    if (from === ref.replicas) return { changed: false, from, to: ref.replicas };
    await kube().patch(paths.deployment(ref.namespace, ref.deployment), { spec: { replicas: ref.replicas } }, 'merge', {
      context: label(ref),
    });
    return { changed: true, from, to: ref.replicas };
  }

  /** Waits until no pod of the Deployment is left (after scaling to zero). */
  async function waitForNoPods(ref: DeploymentRef & { timeoutSeconds?: number }): Promise<{ elapsedSeconds: number }> {
    const result = await pollUntil<{ pods: number }, object>({
      what: `pods of deployment "${ref.deployment}" to terminate`,
      intervalMs: 1000,
      timeoutMs: (ref.timeoutSeconds ?? 300) * 1000,
      describe: (p) => `${p.pods} pods left`,
      poll: async () => {
        const pods = (await podsOf(await readDeployment(ref))).length;
        return pods === 0 ? { done: true, result: {}, progress: { pods } } : { done: false, progress: { pods } };
      },
    });
    return { elapsedSeconds: result.waited.elapsedSeconds };
  }

  /**
   * Fallback rung 3: delete the Deployment and create it from a previous manifest. The manifest
   * carries a marker annotation, so a retry finds its own recreation and does not delete it again.
   */
  async function recreateFromManifest(
    ref: DeploymentRef & { manifest: Deployment; marker: string },
  ): Promise<{ recreated: boolean }> {
    const MARKER = 'rollback-orchestrator/recreated-by';
    const path = paths.deployment(ref.namespace, ref.deployment);
    const absent = { context: label(ref), allow: [404] };
    const existing = await kube().get<Deployment>(path, absent);
    if (existing) {
      if (existing.metadata.annotations?.[MARKER] === ref.marker) return { recreated: false };
      await kube().delete(path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }, absent);
    }
    await pollUntil<{ present: boolean }, object>({
      what: `deployment "${ref.deployment}" to be deleted`,
      intervalMs: 500,
      timeoutMs: 120_000,
      poll: async () =>
        (await kube().get(path, absent)) === undefined
          ? { done: true, result: {}, progress: { present: false } }
          : { done: false, progress: { present: true } },
    });
    const manifest = structuredClone(ref.manifest);
    manifest.metadata = {
      name: ref.deployment,
      namespace: ref.namespace,
      labels: manifest.metadata?.labels,
      annotations: { ...(manifest.metadata?.annotations ?? {}), [MARKER]: ref.marker },
    };
    delete manifest.status;
    await kube().create(
      paths.deployments(ref.namespace),
      { apiVersion: 'apps/v1', kind: 'Deployment', ...manifest },
      { context: `${label(ref)}: recreate` },
    );
    return { recreated: true };
  }

  return {
    rolloutHistory: rolloutHistoryOf,
    planRolloutUndo,
    rolloutUndo,
    waitForRollout,
    podStatus,
    logErrorCount,
    rolloutRestart,
    getDeploymentEnv,
    setDeploymentEnv,
    deletePods,
    scaleDeployment,
    waitForNoPods,
    recreateFromManifest,
  };
}
