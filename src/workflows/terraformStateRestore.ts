// Runbook "Terraform Infrastructure Rollback", methods 2 and 3 (State Manipulation, Restore from
// Backup): list the state and its backups, show how the chosen backup differs from the current
// state (resources put back, dropped, changed; serial and lineage), wait for a person to confirm
// that exact restore (its hash), push the backup with `state push` (keeping a copy of the state
// it replaces), then plan to show what is left to reconcile between the restored state and the
// real infrastructure. Nothing is applied: that plan is for a person (or terraformRevert) to act on.
//
// `state push` refuses a lower serial and another lineage; the backup is pushed deliberately as
// the next serial of the current lineage, and a backup of another lineage only with
// `allowLineageChange` (and -force). See docs/terraform.md.
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TerraformActivities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import { terraformStateRestoreInput, type TerraformStateRestoreInput } from '../domain/schemas/terraform.js';
import { describeStateDiff, type PlanSummary, type StateDiff } from '../domain/terraform.js';
import { terraformCommandCall } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { planConfirmationGate } from './support/planConfirmation.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

const tf = proxyActivities<TerraformActivities>(terraformCommandCall);

export interface TerraformStateRestoreResult extends ProcedureResult {
  backup: string;
  diff: StateDiff;
  /** The copy of the state the restore replaced. */
  savedCopy?: string;
  /** What a plan shows left to reconcile after the restore. */
  reconcile?: PlanSummary;
  confirmedBy?: string;
  pin?: { planHash: string; backup: string };
}

export async function terraformStateRestore(rawInput: unknown): Promise<TerraformStateRestoreResult> {
  const spec = { workflowType: 'terraformStateRestore', input: terraformStateRestoreInput };
  return runProcedure(rawInput, spec, restoreState);
}

async function restoreState({
  input,
  progress,
}: ProcedureStart<TerraformStateRestoreInput>): Promise<TerraformStateRestoreResult> {
  const confirmation = planConfirmationGate(progress);

  // 1. List the state and its backups; compare the chosen backup with the current state.
  progress.step('list', `terraform state pull; backups in ${input.workingDir}`);
  const seen = await tf.inspectStateBackups({
    workingDir: input.workingDir,
    backup: input.backup,
    backupsDir: input.backupsDir,
  });
  const difference = describeStateDiff(seen.diff);
  const plan = {
    hash: seen.restoreHash,
    current: seen.current,
    backup: seen.backup,
    backups: seen.backups,
    diff: seen.diff,
    text: `restore ${input.backup}: ${difference}`,
  };
  progress.showPlan(plan);
  const from = `state serial ${seen.current.serial} (${seen.current.resources} resources)`;
  const to = `${input.backup} (serial ${seen.backup.serial}, ${seen.diff.identical ? 'same resources' : difference})`;
  const base = { backup: seen.backup.path, diff: seen.diff, from, to };
  if (seen.needsForce && !input.allowLineageChange) {
    throw procedureFailure(
      'FailedPrecondition',
      `terraform: backup ${input.backup} has lineage ${seen.backup.lineage}, the state has ${seen.current.lineage}: it is another state's history; give allowLineageChange: true to push it with -force`,
    );
  }

  if (input.dryRun) {
    const message = `dry run: ${plan.text}`;
    log.info(message);
    return {
      ...base,
      message,
      changed: false,
      verified: false,
      dryRun: true,
      pin: { planHash: seen.restoreHash, backup: seen.backup.path },
    };
  }

  // 2. Confirmation of this exact restore (or the incident's, through the pin).
  let confirmedBy: string;
  if (input.pin) {
    if (input.pin.planHash !== seen.restoreHash) {
      throw procedureFailure(
        'TargetChanged',
        `terraform: the state of ${input.workingDir} or the backup ${input.backup} changed since the restore was planned (hash ${seen.restoreHash.slice(0, 12)}, pinned ${input.pin.planHash.slice(0, 12)}); nothing was pushed, plan again`,
      );
    }
    confirmedBy = 'the plan pinned by the dry run';
  } else if (seen.diff.identical) {
    confirmedBy = 'nobody (nothing to push)';
  } else {
    progress.step('confirm', `${plan.text}: confirmPlan with planHash ${seen.restoreHash}`);
    const answer = await confirmation.waitFor(seen.restoreHash, plan.text, input.confirmationTimeoutSeconds);
    if (!answer) {
      throw procedureFailure(
        'WaitLimitExceeded',
        `terraform: no confirmPlan for the restore of ${input.backup} within ${input.confirmationTimeoutSeconds}s; nothing was pushed`,
      );
    }
    confirmedBy = answer.by;
  }

  // 3. state push of the backup (a copy of the replaced state is kept).
  let pushed = {
    pushed: false,
    savedCopy: undefined as string | undefined,
    message: `the state already has the resources of ${input.backup}`,
  };
  if (!seen.diff.identical) {
    progress.step('state push', `terraform state push ${input.backup}`);
    pushed = await tf.pushStateBackup({
      workingDir: input.workingDir,
      backupPath: seen.backup.path,
      currentSha: seen.current.sha,
      backupSha: seen.backup.sha,
      allowLineageChange: input.allowLineageChange,
      lockTimeoutSeconds: input.lockTimeoutSeconds,
    });
  }

  // 4. Plan: what is left to reconcile between the restored state and the infrastructure.
  progress.step('plan', 'terraform plan: what is left to reconcile');
  const reconcile = await tf.terraformPlan({
    workingDir: input.workingDir,
    planKey: `${workflowInfo().workflowId}-reconcile`,
    lockTimeoutSeconds: input.lockTimeoutSeconds,
  });
  // 5. The input's checks. None natural: the plan above shows what is left to reconcile, which a
  //    terraformPlanClean check would count as a failure of the restore.
  const { verification, healthy, suffix } = await verifyAfter({
    changed: pushed.pushed,
    natural: [],
    given: input.verify,
    reason: `after restoring the state of ${input.workingDir} from ${input.backup}`,
  });
  const message = `${pushed.message}; terraform plan: ${reconcile.summary.text}${suffix}`;
  progress.step('done', message);
  return {
    ...base,
    message,
    changed: pushed.pushed,
    verified: healthy,
    ...(verification ? { verification } : {}),
    dryRun: false,
    ...(pushed.savedCopy ? { savedCopy: pushed.savedCopy } : {}),
    reconcile: reconcile.summary,
    confirmedBy,
  };
}
