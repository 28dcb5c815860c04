// Runbook "Kubernetes Application Rollback", method 3 (Helm): helm history, helm rollback
// [<revision>] --wait, helm status, then the Deployment checks of methods 1 and 2 (rollout status,
// pods Running and Ready, log errors) on every Deployment of the release.
// Plan, pin, apply and the rollback guard (contract.ts, docs/helm.md): a dry run pins the newest
// revision and the destination; the apply refuses a release that moved, marks the revision it
// rolled back from (an annotation on helm's storage Secret of that revision), and never rolls onto
// a marked revision without `allowMarkedTarget`. A release locked by a pending operation is only
// rolled back (helm's documented way out) after a person sends `confirm`.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { HelmActivities } from '../activities/types.js';
import {
  chooseTarget,
  HelmPlanError,
  isRollbackRevisionTo,
  lastHelmRollbackOf,
  markedTargetMessage,
  newestRevision,
  type HelmRevision,
  type HelmRollbackMark,
  type HelmTargetChoice,
} from '../domain/helm/history.js';
import { podStatusChecks } from '../domain/naturalChecks.js';
import type { LastRollback, ProcedureResult } from '../domain/procedures/contract.js';
import {
  helmReleasePin,
  helmReleaseRollbackInput,
  type HelmReleasePin,
  type HelmReleaseRollbackInput,
} from '../domain/schemas/helmReleaseRollback.js';
import { waitAndVerify, type Verification } from './kubernetes/settle.js';
import { cloudApiCall, longWait } from './support/activityOptions.js';
import { confirmationGate, type ConfirmationGate } from './support/confirmation.js';
import { procedureFailure } from './support/failures.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import type { Progress } from './support/progress.js';
import { verifyAfter } from './support/verifyAfter.js';

const helm = proxyActivities<HelmActivities>(cloudApiCall);

/** The confirmation step a locked release waits for (`{"by":"alice","step":"roll back a locked release"}`). */
export const LOCKED_RELEASE_STEP = 'roll back a locked release';

export interface HelmReleaseRollbackResult extends ProcedureResult {
  namespace: string;
  release: string;
  fromRevision: number;
  toRevision: number;
  /** The revision `helm rollback` made (helm numbers it after the newest). */
  newRevision?: number;
  /** Each Deployment of the release, checked after the rollback. */
  deployments: ({ deployment: string; namespace: string } & Verification)[];
  history: HelmRevision[];
  pin?: HelmReleasePin;
  lastRollback?: LastRollback;
  /** The pending operation that locks the release, when it is locked. */
  lock?: string;
  /** On a dry run whose destination is marked: the refusal the apply would meet. */
  markedTarget?: string;
}

export async function helmReleaseRollback(rawInput: unknown): Promise<HelmReleaseRollbackResult> {
  const spec = { workflowType: 'helmReleaseRollback', input: helmReleaseRollbackInput, pin: helmReleasePin };
  return runProcedure(rawInput, spec, rollBackRelease);
}

async function rollBackRelease({
  input,
  pin,
  progress,
}: ProcedureStart<HelmReleaseRollbackInput, HelmReleasePin>): Promise<HelmReleaseRollbackResult> {
  const ref = { namespace: input.namespace, release: input.release };
  const gate = confirmationGate(progress);

  // 1. helm history: the newest revision, the destination, and the marks of earlier rollbacks.
  progress.step('history', `helm history ${input.release} -n ${input.namespace}`);
  const [history, marks] = await Promise.all([helm.helmHistory(ref), helm.helmRollbackMarks(ref)]);
  const choice = plan(input, history, marks, pin);
  const { current, target, lock } = choice;
  const refusal =
    choice.targetMark && !input.allowMarkedTarget
      ? markedTargetMessage(input.release, target, choice.targetMark)
      : undefined;
  const command = `helm rollback ${input.release} ${target.revision} -n ${input.namespace}${input.wait ? ' --wait' : ''} --timeout ${input.timeoutSeconds}s`;
  const planned = {
    ...ref,
    fromRevision: current.revision,
    toRevision: target.revision,
    from: `revision ${current.revision} (${current.status})`,
    to: `revision ${target.revision} (${target.status})`,
    lastRollback: lastHelmRollbackOf(marks),
    lock,
  };
  if (input.dryRun) {
    const message = refusal
      ? `dry run: would refuse: ${refusal}`
      : lock
        ? `dry run: release "${input.release}" is locked: ${lock}; would run ${command} (the last deployed revision, helm's way out) once a person confirms "${LOCKED_RELEASE_STEP}"`
        : `dry run: would run ${command} (from revision ${current.revision} to ${target.revision})`;
    return {
      ...planned,
      dryRun: true,
      changed: false,
      verified: false,
      message,
      markedTarget: refusal,
      pin: { currentRevision: current.revision, toRevision: target.revision },
      deployments: [],
      history,
    };
  }
  if (refusal) throw procedureFailure('MarkedTarget', refusal);
  if (lock) await confirmLockedRollback(input, lock, command, progress, gate);

  // 2. helm rollback <release> <revision> --wait --timeout, once, then mark the revision left.
  progress.step('rollback', command);
  const rollback = await proxyActivities<HelmActivities>(longWait(input.timeoutSeconds)).helmRollback({
    ...ref,
    fromRevision: current.revision,
    toRevision: target.revision,
    timeoutSeconds: input.timeoutSeconds,
    wait: input.wait,
  });
  const info = workflowInfo();
  const marked = await helm.markHelmRollback({
    ...ref,
    revision: current.revision,
    to: target.revision,
    at: new Date().toISOString(),
    by: info.parent?.workflowId ?? info.workflowId,
  });

  // 3. helm status: the release must be deployed at the revision the rollback made.
  progress.step('status', `helm status ${input.release} -n ${input.namespace}`);
  const status = await helm.helmStatus(ref);
  if (status.revision !== rollback.revision || status.status !== 'deployed') {
    throw procedureFailure(
      'VerificationFailed',
      `helm status ${input.release} -n ${input.namespace}: revision ${status.revision} is ${status.status} (${status.description}); expected revision ${rollback.revision} deployed`,
    );
  }

  // 4. The Deployments of the release: rollout finished, pods Running and Ready, logs.
  const deployments: HelmReleaseRollbackResult['deployments'] = [];
  for (const d of status.deployments) {
    const verification = await waitAndVerify(d, input, progress);
    deployments.push({ ...d, ...verification });
    if (!verification.passed) {
      throw procedureFailure(
        'VerificationFailed',
        `helm: release "${input.release}" rolled back to revision ${target.revision} (now revision ${rollback.revision}), but deployment "${d.deployment}" in "${d.namespace}" did not settle: ${verification.problem}`,
      );
    }
  }

  // 5. The verification suite: the pods of the Deployments checked above, and the input's checks.
  const { verification, healthy, suffix } = await verifyAfter({
    changed: true,
    natural: podStatusChecks(status.deployments),
    given: input.verify,
    reason: `after helm rollback ${input.release} ${target.revision} -n ${input.namespace}`,
  });
  progress.step('done', rollback.message);
  return {
    ...planned,
    lastRollback: lastHelmRollbackOf([...marks, ...(marked.mark ? [marked.mark] : [])]),
    dryRun: false,
    changed: true,
    verified: healthy,
    ...(verification ? { verification } : {}),
    message: `${rollback.message}${suffix}`,
    newRevision: rollback.revision,
    deployments,
    history: await helm.helmHistory(ref),
  };
}

/**
 * The destination. With a pin, the plan's own: the release must still have the pinned newest
 * revision (or the one our rollback to the pinned destination made, for a re-applied plan).
 */
function plan(
  input: HelmReleaseRollbackInput,
  history: HelmRevision[],
  marks: HelmRollbackMark[],
  pin: HelmReleasePin | undefined,
): HelmTargetChoice {
  const where = `helm: release "${input.release}" in namespace "${input.namespace}"`;
  const newest = newestRevision(history);
  let known = history;
  if (pin) {
    const done =
      newest?.revision === pin.currentRevision + 1 && isRollbackRevisionTo(newest, input.release, pin.toRevision);
    if (newest?.revision !== pin.currentRevision && !done) {
      throw procedureFailure(
        'TargetChanged',
        `${where} moved since the plan: its newest revision is ${newest ? `${newest.revision} (${newest.status}: ${newest.description})` : 'gone'}, planned ${pin.currentRevision}; plan again`,
      );
    }
    if (!history.some((h) => h.revision === pin.toRevision)) {
      throw procedureFailure(
        'TargetChanged',
        `${where}: pinned target revision ${pin.toRevision} is no longer in the history; plan again`,
      );
    }
    known = history.filter((h) => h.revision <= pin.currentRevision);
  }
  try {
    return chooseTarget(input.release, known, marks, {
      toRevision: pin?.toRevision ?? input.toRevision,
      allowMarkedTarget: input.allowMarkedTarget,
    });
  } catch (error) {
    if (error instanceof HelmPlanError) throw procedureFailure('NotFound', `${where}: Error: ${error.message}`);
    throw error;
  }
}

/** A pending operation may still be running: only a person may take helm's way out. */
async function confirmLockedRollback(
  input: HelmReleaseRollbackInput,
  lock: string,
  command: string,
  progress: Progress,
  gate: ConfirmationGate,
): Promise<void> {
  const why = `release "${input.release}" is locked: ${lock}; the way out is ${command} (the last deployed revision)`;
  progress.step('confirm', why);
  const confirmation = await gate.waitFor(LOCKED_RELEASE_STEP, input.confirmationTimeoutSeconds);
  if (!confirmation) {
    throw procedureFailure(
      'FailedPrecondition',
      `helm: ${why}; nobody confirmed "${LOCKED_RELEASE_STEP}" within ${input.confirmationTimeoutSeconds}s. Make sure no helm operation is still running on it, then start again and confirm`,
    );
  }
  progress.step('confirmed', `by ${confirmation.by}`);
}
