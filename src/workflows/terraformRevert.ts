// Runbook "Terraform Infrastructure Rollback", method 1 (Revert Git Commit): `git revert` the bad
// commit in the local clone, plan (`atmos terraform plan <component> -s <stack>` with atmos),
// wait for a person to confirm that exact plan (its hash), apply the saved plan, and check that
// a new plan shows no changes.
//
// Plan, pin, apply (src/domain/procedures/contract.ts): the dry run reverts and plans in a
// scratch worktree and returns the plan's hash as `pin.planHash`. An apply with a pin treats a
// fresh plan with that same hash as confirmed (the incident's person approved that plan) and
// fails `TargetChanged` on any other plan. Without a pin, every plan waits for `confirmPlan`.
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TerraformActivities } from '../activities/types.js';
import { planCleanCheck } from '../domain/naturalChecks.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import { terraformRevertInput, type TerraformRevertInput } from '../domain/schemas/terraform.js';
import type { PlanSummary } from '../domain/terraform.js';
import { terraformCommandCall } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { planConfirmationGate } from './support/planConfirmation.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

const tf = proxyActivities<TerraformActivities>(terraformCommandCall);

/** A plan as the `status` query and the result show it. */
export interface PlanForPeople {
  hash: string;
  summary: PlanSummary;
  /** The command it stands for, as the runbook writes it. */
  command: string;
}

export interface TerraformRevertResult extends ProcedureResult {
  commit: string;
  revertCommit?: string;
  pushed?: string;
  plan?: PlanForPeople;
  applied: boolean;
  confirmedBy?: string;
  pin?: { planHash: string; commit: string; head: string };
}

/** Re-plans after a stale saved plan; more than this means the state keeps moving under us. */
const MAX_PLAN_ROUNDS = 5;

export async function terraformRevert(rawInput: unknown): Promise<TerraformRevertResult> {
  return runProcedure(rawInput, { workflowType: 'terraformRevert', input: terraformRevertInput }, revertPlanApply);
}

async function revertPlanApply({
  input,
  progress,
}: ProcedureStart<TerraformRevertInput>): Promise<TerraformRevertResult> {
  const confirmation = planConfirmationGate(progress);
  const target = { repo: input.repo, workingDir: input.workingDir, component: input.component, stack: input.stack };
  const command = planCommand(input);
  const forPeople = (p: { hash: string; summary: PlanSummary }): PlanForPeople => ({
    hash: p.hash,
    summary: p.summary,
    command,
  });

  if (input.dryRun) {
    progress.step('plan', `git revert ${input.commit} and ${command}, in a scratch worktree`);
    const preview = await tf.previewRevertPlan({
      ...target,
      commit: input.commit,
      lockTimeoutSeconds: input.lockTimeoutSeconds,
    });
    const plan = forPeople(preview);
    progress.showPlan(plan);
    const short = preview.commit.slice(0, 12);
    const message = `dry run: ${preview.alreadyReverted ? `${short} is already reverted at HEAD; ` : `reverting ${short} `}would apply "${plan.summary.text}"${destroyNote(plan.summary)}`;
    log.info(message);
    return {
      message,
      changed: false,
      verified: false,
      dryRun: true,
      from: `commit ${preview.head.slice(0, 12)}`,
      to: `${short} reverted: ${plan.summary.text}`,
      commit: preview.commit,
      plan,
      applied: false,
      pin: { planHash: preview.hash, commit: preview.commit, head: preview.head },
    };
  }

  // 1. git revert <bad-commit-hash> (found, not repeated, when a crashed run already made it).
  progress.step('git revert', `git revert --no-edit ${input.commit}`);
  const reverted = await tf.gitRevert({ repo: input.repo, commit: input.commit, push: input.push });
  progress.step('git revert', reverted.message);

  // 2. Plan, 3. confirmation of that exact plan, 4. apply of the saved plan.
  // Plan files are named per run: a later run under the same workflow ID must not find this
  // run's apply of its plan 1 and take it for its own.
  const { workflowId, runId } = workflowInfo();
  const planPrefix = `${workflowId}-${runId.slice(0, 8)}`;
  let confirmed: { hash: string; by: string } | undefined;
  let plan: PlanForPeople | undefined;
  let applied = false;
  for (let round = 1; ; round += 1) {
    if (round > MAX_PLAN_ROUNDS) {
      throw procedureFailure(
        'TargetChanged',
        `terraform: the saved plan went stale ${MAX_PLAN_ROUNDS} times in a row in ${input.workingDir}: the state keeps changing; nothing more was applied`,
      );
    }
    progress.step('plan', `${command} (plan ${round})`);
    const made = await tf.terraformPlan({
      ...target,
      planKey: `${planPrefix}-${round}`,
      lockTimeoutSeconds: input.lockTimeoutSeconds,
    });
    plan = forPeople(made);
    progress.showPlan(plan);
    if (!made.hasChanges) break;

    if (input.pin) {
      if (made.hash !== input.pin.planHash) {
        throw procedureFailure(
          'TargetChanged',
          `terraform: the plan after reverting ${reverted.commit.slice(0, 12)} is not the planned one (hash ${made.hash.slice(0, 12)}, pinned ${input.pin.planHash.slice(0, 12)}): "${made.summary.text}"${destroyNote(made.summary)}; nothing was applied, plan again`,
        );
      }
      confirmed = { hash: made.hash, by: 'the plan pinned by the dry run' };
    } else if (confirmed?.hash !== made.hash) {
      const what = `apply "${made.summary.text}"${destroyNote(made.summary)}`;
      progress.step('confirm', `${what}: confirmPlan with planHash ${made.hash}`);
      const answer = await confirmation.waitFor(made.hash, what, input.confirmationTimeoutSeconds);
      if (!answer) {
        throw procedureFailure(
          'WaitLimitExceeded',
          `terraform: no confirmPlan for plan ${made.hash.slice(0, 12)} ("${made.summary.text}") within ${input.confirmationTimeoutSeconds}s; nothing was applied (the revert commit ${reverted.revertCommit.slice(0, 12)} stays)`,
        );
      }
      confirmed = { hash: answer.planHash, by: answer.by };
    }

    progress.step('apply', `${applyCommand(input)} (plan ${made.hash.slice(0, 12)}, confirmed by ${confirmed.by})`);
    const result = await tf.terraformApply({
      ...target,
      planFile: made.planFile,
      planHash: made.hash,
      lockTimeoutSeconds: input.lockTimeoutSeconds,
    });
    if (result.outcome === 'applied') {
      applied = true;
      break;
    }
    // Stale: applied already (by a run cut short) or the state moved. A new plan decides.
    log.info(`saved plan ${made.planFile} is stale; planning again`);
  }

  // 5. Verify: a new plan shows nothing left to change.
  progress.step('verify', `${command} shows no changes`);
  const check = await tf.terraformPlan({
    ...target,
    planKey: `${planPrefix}-verify`,
    lockTimeoutSeconds: input.lockTimeoutSeconds,
  });
  if (check.hasChanges) {
    throw procedureFailure(
      'VerificationFailed',
      `terraform: after the apply, ${command} still shows "${check.summary.text}" (${check.summary.changes.map((c) => c.address).join(', ')})`,
    );
  }
  // 6. The verification suite: terraformPlanClean of the directory (plain Terraform only: the
  //    check does not run atmos), and the input's checks.
  const short = reverted.commit.slice(0, 12);
  const changed = reverted.changed || applied;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: input.component ? [] : [planCleanCheck(workingDirectory(input))],
    given: input.verify,
    reason: `after reverting ${short} in ${input.repo}`,
  });
  const message = `${
    applied
      ? `${reverted.message}; applied "${plan!.summary.text}"; a new plan shows no changes`
      : `${reverted.message}; the infrastructure already matches the reverted configuration (No changes.)`
  }${suffix}`;
  progress.step('done', message);
  return {
    message,
    changed,
    verified: healthy,
    ...(verification ? { verification } : {}),
    dryRun: false,
    from: `commit ${reverted.previousHead.slice(0, 12)}`,
    to: `commit ${reverted.revertCommit.slice(0, 12)} (revert of ${short})`,
    commit: reverted.commit,
    revertCommit: reverted.revertCommit,
    ...(reverted.pushed ? { pushed: reverted.pushed } : {}),
    plan,
    applied,
    ...(confirmed ? { confirmedBy: confirmed.by } : {}),
  };
}

/** Where Terraform runs: `workingDir` inside the clone (no `path` module in workflow code). */
function workingDirectory(input: TerraformRevertInput): string {
  const parts = input.workingDir.split('/').filter((p) => p !== '' && p !== '.');
  return parts.length === 0 ? input.repo : `${input.repo.replace(/\/+$/, '')}/${parts.join('/')}`;
}

function planCommand(input: TerraformRevertInput): string {
  return input.component
    ? `atmos terraform plan ${input.component} -s ${input.stack}`
    : `terraform plan -out=<planfile> (in ${input.workingDir})`;
}

function applyCommand(input: TerraformRevertInput): string {
  return input.component
    ? `atmos terraform apply ${input.component} -s ${input.stack} --planfile <planfile>`
    : 'terraform apply <planfile>';
}

function destroyNote(summary: PlanSummary): string {
  return summary.destroys.length > 0 ? `, DESTROYING ${summary.destroys.join(', ')}` : '';
}
