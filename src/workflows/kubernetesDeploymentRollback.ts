// Runbook "Kubernetes Application Rollback", methods 1 and 2, with "Rollback Failed" as fallback:
// view history, roll back (previous or a given revision), watch the rollout, verify the pods.
// Plan, pin, apply and the rollback guard (contract.ts): a dry run returns the plan as `pin`; an
// apply given the pin refuses a Deployment that moved; the undo marks the template it leaves, and
// no later rollback goes onto a marked template without `allowMarkedTarget`.
import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { KubernetesActivities } from '../activities/types.js';
import { describeRevision, markedTargetMessage } from '../domain/kubernetes/rollbackMark.js';
import { rolloutUndoSummary } from '../domain/incident/summaries.js';
import { podStatusChecks } from '../domain/naturalChecks.js';
import type { RevisionEntry } from '../domain/kubernetes/rollout.js';
import type { LastRollback, ProcedureResult } from '../domain/procedures/contract.js';
import {
  deploymentPin,
  kubernetesDeploymentRollbackInput,
  type DeploymentPin,
  type KubernetesDeploymentRollbackInput,
} from '../domain/schemas/kubernetes.js';
import { runFallbackLadder, type RungResult } from './kubernetes/fallbackLadder.js';
import { waitAndVerify, type Verification } from './kubernetes/settle.js';
import { cloudApiCall, localCloudRead } from './support/activityOptions.js';
import { confirmationGate } from './support/confirmation.js';
import { procedureFailure } from './support/failures.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);
const k8sLocal = proxyLocalActivities<KubernetesActivities>(localCloudRead);

/**
 * The plan and history reads run as local activities (issue 13, P0 latency): each saves a round
 * trip through the task queue. Runs recorded before had them as activities and replay that way.
 * The undo and the rollout wait stay activities: the one change is a boundary of its own (visible,
 * retried apart), and a wait heartbeats.
 */
export const LOCAL_READS_PATCH = 'k8s-local-plan-reads';
type Reads = Pick<KubernetesActivities, 'planRolloutUndo' | 'rolloutHistory'>;
type UndoPlan = Awaited<ReturnType<KubernetesActivities['planRolloutUndo']>>;

export interface KubernetesDeploymentRollbackResult extends ProcedureResult {
  namespace: string;
  deployment: string;
  fromRevision: number;
  toRevision: number;
  /** The revision number the restored template has now (the controller renumbers it). */
  newRevision?: number;
  diff: string;
  /** The rollout and pods as the procedure itself saw them settle (before the suite's checks). */
  settled?: Verification;
  fallbacks: RungResult[];
  history: RevisionEntry[];
  pin?: DeploymentPin;
  lastRollback?: LastRollback;
  /** On a dry run whose destination is marked: the refusal the apply would meet. */
  markedTarget?: string;
}

export async function kubernetesDeploymentRollback(rawInput: unknown): Promise<KubernetesDeploymentRollbackResult> {
  const spec = {
    workflowType: 'kubernetesDeploymentRollback',
    input: kubernetesDeploymentRollbackInput,
    pin: deploymentPin,
  };
  return runProcedure(rawInput, spec, rollBackDeployment);
}

async function rollBackDeployment({
  input,
  pin,
  progress,
}: ProcedureStart<KubernetesDeploymentRollbackInput, DeploymentPin>): Promise<KubernetesDeploymentRollbackResult> {
  const ref = { namespace: input.namespace, deployment: input.deployment };
  const gate = confirmationGate(progress);
  const reads: Reads = patched(LOCAL_READS_PATCH) ? k8sLocal : k8s;

  // 1. View revision history and choose the revision (kubectl rollout history / undo); a pinned
  //    apply re-plans towards the pinned revision and refuses a Deployment that moved.
  progress.step('plan', 'reading rollout history');
  const plan = await planUndo(reads, ref, pin?.targetRevision ?? input.toRevision, pin);
  if (pin) checkPin(input.deployment, plan, pin);
  const from = describeRevision(plan.currentRevision, plan.currentTemplateHash);
  const to = describeRevision(plan.targetRevision, plan.targetTemplateHash);
  const planned = {
    ...ref,
    fromRevision: plan.currentRevision,
    toRevision: plan.targetRevision,
    diff: plan.diff,
    from,
    to,
    lastRollback: plan.lastRollback,
  };
  const refusal =
    plan.targetMark && !plan.alreadyMatches && !input.allowMarkedTarget
      ? markedTargetMessage(
          input.deployment,
          { revision: plan.targetRevision, templateHash: plan.targetTemplateHash ?? '' },
          plan.targetMark,
        )
      : undefined;
  if (input.dryRun) {
    const message = plan.alreadyMatches
      ? `dry run: skipped rollback (current template already matches revision ${plan.targetRevision})`
      : refusal
        ? `dry run: would refuse: ${refusal}`
        : `dry run: would roll deployment.apps/${input.deployment} back from revision ${plan.currentRevision} to ${plan.targetRevision}`;
    return {
      ...planned,
      dryRun: true,
      changed: false,
      verified: false,
      message,
      markedTarget: refusal,
      pin: {
        currentRevision: plan.currentRevision,
        currentTemplateHash: plan.currentTemplateHash,
        targetRevision: plan.targetRevision,
        targetTemplateHash: plan.targetTemplateHash,
      },
      fallbacks: [],
      history: await reads.rolloutHistory(ref),
    };
  }
  if (plan.paused) {
    throw procedureFailure(
      'FailedPrecondition',
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${input.deployment}' and try again`,
    );
  }
  if (refusal) throw procedureFailure('MarkedTarget', refusal);

  // 2. Roll back (kubectl rollout undo [--to-revision]), marking the template rolled back from.
  progress.step('undo', `to revision ${plan.targetRevision}`);
  const undo = await k8s.rolloutUndo.executeWithOptions(
    { summary: rolloutUndoSummary(ref, plan.currentRevision, plan.targetRevision) },
    [
      {
        ...ref,
        replicaSet: plan.targetReplicaSet,
        mark: { at: new Date().toISOString(), by: workflowInfo().workflowId },
        allowMarkedTarget: input.allowMarkedTarget,
        fromTemplateHash: pin?.currentTemplateHash,
      },
    ],
  );

  // 3. Watch the rollout and verify the pods; if that fails, climb the fallback ladder.
  let settled: Verification | undefined = await waitAndVerify(ref, input, progress);
  let fallbacks: RungResult[] = [];
  if (!settled.passed) {
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
        `kubernetes: rollback of deployment "${input.deployment}" in "${input.namespace}" did not settle (${settled.problem}); fallbacks: ${tried}`,
      );
    }
    settled = ladder.verification;
  }

  // 4. The verification suite: the Deployment's pods, and the input's checks.
  const changed = undo.outcome === 'rolled back' || fallbacks.length > 0;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: podStatusChecks([ref]),
    given: input.verify,
    reason: `after rolling back deployment.apps/${input.deployment} in "${input.namespace}" to ${to}`,
  });
  progress.step('done', undo.message);
  const history = await reads.rolloutHistory(ref);
  return {
    ...planned,
    dryRun: false,
    changed,
    verified: settled.passed && healthy,
    message: `${undo.message}${suffix}`,
    newRevision: history[history.length - 1]?.revision,
    settled,
    ...(verification ? { verification } : {}),
    fallbacks,
    history,
  };
}

/** The undo plan; with a pin, a pinned revision that is gone means the Deployment moved. */
async function planUndo(
  reads: Reads,
  ref: { namespace: string; deployment: string },
  toRevision: number | undefined,
  pin: DeploymentPin | undefined,
): Promise<UndoPlan> {
  try {
    return await reads.planRolloutUndo({ ...ref, toRevision });
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (pin && cause instanceof ApplicationFailure && cause.type === 'NotFound') {
      throw procedureFailure(
        'TargetChanged',
        `deployment.apps/${ref.deployment}: pinned target revision ${pin.targetRevision} is no longer in the history (${cause.message}); plan again`,
      );
    }
    throw error;
  }
}

/** Fails TargetChanged, saying what moved, when the Deployment is no longer where the plan saw it. */
function checkPin(deployment: string, plan: UndoPlan, pin: DeploymentPin): void {
  const moved: string[] = [];
  if (plan.currentRevision !== pin.currentRevision || plan.currentTemplateHash !== pin.currentTemplateHash) {
    moved.push(
      `deployment.apps/${deployment} moved from ${describeRevision(pin.currentRevision, pin.currentTemplateHash)} to ${describeRevision(plan.currentRevision, plan.currentTemplateHash)}`,
    );
  }
  if (plan.targetTemplateHash !== pin.targetTemplateHash) {
    moved.push(
      `target revision ${pin.targetRevision} is now template ${plan.targetTemplateHash ?? '(none)'}, pinned ${pin.targetTemplateHash ?? '(none)'}`,
    );
  }
  if (moved.length > 0) {
    throw procedureFailure('TargetChanged', `${moved.join('; ')} since the plan; plan again`);
  }
}
