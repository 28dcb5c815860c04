// Runbook "Kubernetes Application Rollback", methods 1 and 2, with "Rollback Failed" as fallback:
// view history, roll back (previous or a given revision), watch the rollout, verify the pods.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RevisionEntry } from '../domain/kubernetes/rollout.js';
import { kubernetesDeploymentRollbackInput } from '../domain/schemas/kubernetes.js';
import { runFallbackLadder, type RungResult } from './kubernetes/fallbackLadder.js';
import { waitAndVerify, type Verification } from './kubernetes/settle.js';
import { cloudApiCall } from './support/activityOptions.js';
import { confirmationGate } from './support/confirmation.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { trackProgress } from './support/progress.js';

const k8s = proxyActivities<Activities>(cloudApiCall);

export interface KubernetesDeploymentRollbackResult {
  namespace: string;
  deployment: string;
  dryRun: boolean;
  /** kubectl's words: "deployment.apps/web rolled back" or "skipped rollback (...)". */
  message: string;
  fromRevision: number;
  toRevision: number;
  /** The revision number the restored template has now (the controller renumbers it). */
  newRevision?: number;
  diff: string;
  verification?: Verification;
  fallbacks: RungResult[];
  history: RevisionEntry[];
}

export async function kubernetesDeploymentRollback(rawInput: unknown): Promise<KubernetesDeploymentRollbackResult> {
  return asProcedure(() => rollBackDeployment(rawInput));
}

async function rollBackDeployment(rawInput: unknown): Promise<KubernetesDeploymentRollbackResult> {
  const input = parseInput(kubernetesDeploymentRollbackInput, rawInput, 'kubernetesDeploymentRollback');
  const ref = { namespace: input.namespace, deployment: input.deployment };
  const progress = trackProgress();
  const gate = confirmationGate();

  // 1. View revision history and choose the revision (kubectl rollout history / undo).
  progress.step('plan', 'reading rollout history');
  const plan = await k8s.planRolloutUndo({ ...ref, toRevision: input.toRevision });
  const planned = { ...ref, fromRevision: plan.currentRevision, toRevision: plan.targetRevision, diff: plan.diff };
  if (input.dryRun) {
    const message = plan.alreadyMatches
      ? `dry run: skipped rollback (current template already matches revision ${plan.targetRevision})`
      : `dry run: would roll deployment.apps/${input.deployment} back from revision ${plan.currentRevision} to ${plan.targetRevision}`;
    return { ...planned, dryRun: true, message, fallbacks: [], history: await k8s.rolloutHistory(ref) };
  }
  if (plan.paused) {
    throw procedureFailure(
      'FailedPrecondition',
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${input.deployment}' and try again`,
    );
  }

  // 2. Roll back (kubectl rollout undo [--to-revision]).
  progress.step('undo', `to revision ${plan.targetRevision}`);
  const undo = await k8s.rolloutUndo({ ...ref, replicaSet: plan.targetReplicaSet });

  // 3. Watch the rollout and verify the pods; if that fails, climb the fallback ladder.
  let verification: Verification | undefined = await waitAndVerify(ref, input, progress);
  let fallbacks: RungResult[] = [];
  if (!verification.passed) {
    const ladder = await runFallbackLadder({
      ref,
      policy: input.fallbacks,
      replicas: plan.replicas,
      timeoutSeconds: input.timeoutSeconds,
      maxLogErrors: input.maxLogErrors,
      progress,
      gate,
    });
    fallbacks = ladder.rungs;
    if (!ladder.verification) {
      const tried = fallbacks.map((r) => `${r.rung}: ${r.outcome}`).join('; ') || 'no fallbacks enabled';
      throw procedureFailure(
        'RollbackFailed',
        `kubernetes: rollback of deployment "${input.deployment}" in "${input.namespace}" did not settle (${verification.problem}); fallbacks: ${tried}`,
      );
    }
    verification = ladder.verification;
  }

  progress.step('done', undo.message);
  const history = await k8s.rolloutHistory(ref);
  return {
    ...planned,
    dryRun: false,
    message: undo.message,
    newRevision: history[history.length - 1]?.revision,
    verification,
    fallbacks,
    history,
  };
}
