// Runbook "Database Migration Rollback" (Django `manage.py migrate <app> <previous>`, Flyway
// undo, a plain SQL rollback file) and "Database Rollback Conflicts". Plan, pin, apply: the dry
// run reads the schema version and lists what would be unapplied, trying the rollback in a
// transaction that is rolled back; a migration the table lists but whose schema is gone is a
// conflict, whose repair (deleting its row) waits for `confirm`. The apply records the version,
// unapplies exactly the plan, and reads the version back.
import { log, proxyActivities } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import {
  databaseMigrationRollbackInput,
  type DatabaseMigrationRollbackInput,
  pinMismatch,
  type MigrationPin,
  type MigrationPlan,
} from '../domain/schemas/databaseMigrationRollback.js';
import { cloudApiCall, longWait } from './support/activityOptions.js';
import { confirmationGate } from './support/confirmation.js';
import { procedureFailure } from './support/failures.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

/** The step a person confirms to let the procedure repair the migration table. */
export const REPAIR_STEP = 'repair migration table';

// Plans run `manage.py` several times (showmigrations, migrate --plan, sqlmigrate per migration).
const reads = proxyActivities<MigrationActivities>({ ...cloudApiCall, startToCloseTimeout: '5 minutes' });

export interface DatabaseMigrationRollbackResult extends ProcedureResult {
  framework: DatabaseMigrationRollbackInput['framework'];
  /** What this run unapplies (a dry run: would unapply), in order. */
  unapply: string[];
  conflicts: MigrationPlan['conflicts'];
  /** The repair of the conflicts; run only after `confirm`. */
  repairSql: string[];
  /** The repair statements that ran. */
  repaired?: string[];
  trial: MigrationPlan['trial'];
  pin?: MigrationPin;
}

export async function databaseMigrationRollback(rawInput: unknown): Promise<DatabaseMigrationRollbackResult> {
  const spec = { workflowType: 'databaseMigrationRollback', input: databaseMigrationRollbackInput };
  return runProcedure(rawInput, spec, rollBackMigrations);
}

async function rollBackMigrations({
  // `verify` stays here: the activities that read and write the schema do not need it.
  input: { pin, verify, ...input },
  progress,
}: ProcedureStart<DatabaseMigrationRollbackInput>): Promise<DatabaseMigrationRollbackResult> {
  const gate = confirmationGate(progress);
  const writes = proxyActivities<MigrationActivities>(longWait(input.timeoutSeconds));

  // 1. Check the current schema version and what the rollback would unapply.
  progress.step('plan', `${input.framework} on database "${input.database}"`);
  // The plan checks the pin itself, before it tries the rollback on a schema that moved.
  let plan = await reads.planMigrationRollback(pin ? { ...input, pin } : input);
  const before = plan.current;
  if (pin) checkPin(input, pin, plan);
  const planned = pinOf(plan);
  const summary = describe(plan);
  progress.step('planned', summary);
  if (input.dryRun) {
    log.info(`dry run: ${summary}`);
    return {
      ...resultOf(plan),
      pin: planned,
      dryRun: true,
      changed: false,
      verified: false,
      message: `dry run: ${summary}`,
    };
  }

  // 2. Database Rollback Conflicts: the repair of the migration table waits for a person.
  let repaired: string[] | undefined;
  let expected = pin ?? planned;
  if (plan.conflicts.length > 0) {
    progress.step('awaiting confirmation', `repair: ${plan.repairSql.join(' ')}`);
    const confirmation = await gate.waitFor(REPAIR_STEP, input.confirmationTimeoutSeconds);
    if (!confirmation) {
      throw procedureFailure(
        'RollbackFailed',
        `migration: ${conflictWords(plan)}; the repair was not confirmed within ${input.confirmationTimeoutSeconds}s, nothing was changed. The repair would run: ${plan.repairSql.join(' ')}`,
      );
    }
    progress.step('repair', `confirmed by ${confirmation.by}: ${plan.repairSql.join(' ')}`);
    const repair = await writes.repairMigrationHistory({ input, confirmed: plan.conflicts.map((c) => c.name) });
    repaired = repair.statements;
    plan = await reads.planMigrationRollback(withTarget(input, plan.target));
    if (plan.conflicts.length > 0) {
      throw procedureFailure(
        'RollbackFailed',
        `migration: after the repair, still ${conflictWords(plan)}; nothing more was changed`,
      );
    }
    expected = pinOf(plan);
  }

  // 3. Unapply exactly the plan (a no-op when a retry finds it done), then read the version back.
  let applied = { changed: false, message: `${plan.current} is already at ${expected.to}; nothing to roll back` };
  if (expected.unapply.length > 0 || plan.current !== expected.to) {
    progress.step('apply', `${expected.from} -> ${expected.to}: ${expected.unapply.join(', ')}`);
    applied = await writes.applyMigrationRollback({ input, expected });
  }
  progress.step('verify', `expecting ${expected.to}`);
  const after = await reads.readSchemaVersion(input);
  if (after !== expected.to) {
    throw procedureFailure(
      'VerificationFailed',
      `migration: database "${input.database}" is at ${after} after the rollback, expected ${expected.to}`,
    );
  }

  // 4. The input's checks. None natural: step 3 read the schema version back.
  const changed = applied.changed || repaired !== undefined || before !== after;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: [],
    given: verify,
    reason: `after rolling database "${input.database}" back from ${expected.from} to ${expected.to}`,
  });
  progress.step('done', applied.message);
  return {
    ...resultOf(plan),
    from: expected.from,
    to: expected.to,
    unapply: expected.unapply,
    ...(repaired ? { repaired } : {}),
    dryRun: false,
    // Changed by this run, even when a retried apply found its first attempt's work done.
    changed,
    verified: healthy,
    ...(verification ? { verification } : {}),
    message: `${applied.message}${suffix}`,
  };
}

/** The input with the planned destination made explicit, so a re-plan after a repair keeps it. */
function withTarget(input: DatabaseMigrationRollbackInput, target: string): DatabaseMigrationRollbackInput {
  if (input.framework === 'django') return { ...input, toMigration: target.slice(input.app.length + 1) };
  if (input.framework === 'flyway' && target !== 'none') return { ...input, toVersion: target };
  return input;
}

function pinOf(plan: MigrationPlan): MigrationPin {
  return {
    from: plan.current,
    to: plan.target,
    unapply: plan.unapply,
    ...(plan.fileSha256 ? { fileSha256: plan.fileSha256 } : {}),
  };
}

/** The apply of a plan: the schema must still be where the plan found it (or already done). */
function checkPin(input: DatabaseMigrationRollbackInput, pin: MigrationPin, plan: MigrationPlan): void {
  const mismatch = pinMismatch(input.framework, pin, plan.current, plan.fileSha256);
  if (mismatch) throw procedureFailure('TargetChanged', `migration: database "${input.database}" ${mismatch}`);
}

function resultOf(plan: MigrationPlan) {
  return {
    framework: plan.framework,
    from: plan.current,
    to: plan.target,
    unapply: plan.unapply,
    conflicts: plan.conflicts,
    repairSql: plan.repairSql,
    trial: plan.trial,
  };
}

function conflictWords(plan: MigrationPlan): string {
  return `the migration table lists ${plan.conflicts.map((c) => `${c.name} (${c.reason})`).join(', ')} as applied but the schema does not have ${plan.conflicts.length > 1 ? 'them' : 'it'}`;
}

function describe(plan: MigrationPlan): string {
  const what =
    plan.unapply.length === 0
      ? `${plan.framework}: at ${plan.current}, nothing to roll back`
      : `${plan.framework}: would roll back from ${plan.current} to ${plan.target}, unapplying ${plan.unapply.join(', ')} (trial: ${plan.trial})`;
  if (plan.conflicts.length === 0) return what;
  return `${what}; conflict: ${conflictWords(plan)}; repair after confirm: ${plan.repairSql.join(' ')}`;
}
