// Database migration rollback (runbook "Database Migration Rollback", "Database Rollback
// Conflicts"): plan, repair the migration table, apply, read the schema version. Each activity is
// safe to retry after a crash at any line: Flyway and SQL rollbacks run in one transaction that
// checks the version first, and a Django rollback checks django_migrations under a database lock
// before running `manage.py migrate`, so a retry never unapplies anything twice.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { heartbeat, log } from '@temporalio/activity';
import type pg from 'pg';
import type {
  DatabaseMigrationRollbackInput,
  DjangoRollbackInput,
  FlywayRollbackInput,
  MigrationPin,
  SqlRollbackInput,
} from '../../domain/schemas/databaseMigrationRollback.js';
import { describeDatabase } from '../database.js';
import { nonRetryable } from '../failures.js';
import { pinMismatch, type MigrationPlan } from '../../domain/schemas/databaseMigrationRollback.js';
import type { KubeClient } from '../kubernetes/client.js';
import * as django from './django.js';
import * as flyway from './flyway.js';
import { manageRunner } from './manage.js';
import { checkScript, lockDatabase, lockDatabaseInTransaction, trialRollback, withClient } from './postgres.js';

export type { MigrationPlan } from '../../domain/schemas/databaseMigrationRollback.js';

export interface MigrationApplyResult {
  changed: boolean;
  message: string;
}

// PostgreSQL truncates application_name at 63 bytes.
const appName = (input: DjangoRollbackInput) =>
  `rollback-orchestrator:django:${input.database}:${input.app}`.slice(0, 63);

export function createMigrationActivities(kube: () => KubeClient, env: NodeJS.ProcessEnv = process.env) {
  /** A pinned plan stops before its trial when the schema moved since the dry run. */
  function checkPlanPin(input: DatabaseMigrationRollbackInput, current: string, fileSha256?: string): void {
    const mismatch = input.pin && pinMismatch(input.framework, input.pin, current, fileSha256);
    if (mismatch) throw nonRetryable('TargetChanged', `migration: ${describeDatabase(input)} ${mismatch}`);
  }

  async function planDjango(input: DjangoRollbackInput): Promise<MigrationPlan> {
    const run = manageRunner(input, env, kube);
    const migrations = await django.appMigrations(run, input);
    if (migrations.length === 0) throw nonRetryable('NotFound', `django: app "${input.app}" has no migrations`);
    const current = django.djangoVersion(input.app, migrations);
    checkPlanPin(input, current);
    const targetName = django.resolveTarget(input, migrations);
    const unapply = await django.unapplyPlan(run, input, targetName);
    const plan: MigrationPlan = {
      framework: 'django',
      current,
      target: `${input.app}.${targetName}`,
      unapply,
      conflicts: [],
      repairSql: [],
      trial: unapply.length === 0 ? 'nothing to roll back' : 'skipped',
    };
    if (!input.trial || unapply.length === 0) return plan;
    const steps = await django.backwardsSql(run, input, unapply);
    const { conflicts } = await withClient(input, env, (client) =>
      trialRollback(client, steps, input.lockTimeoutSeconds, async () => undefined),
    );
    return { ...plan, conflicts, repairSql: django.djangoRepairSql(conflicts), trial: 'passed' };
  }

  async function planFlyway(input: FlywayRollbackInput): Promise<MigrationPlan> {
    return withClient(input, env, async (client) => {
      const applied = await flyway.appliedVersions(client, input);
      checkPlanPin(input, flyway.flywayVersion(applied));
      const { target, undo } = flyway.versionsToUndo(input, applied);
      const steps = await flyway.undoScripts(input, undo);
      const plan: MigrationPlan = {
        framework: 'flyway',
        current: flyway.flywayVersion(applied),
        target,
        unapply: undo.map((u) => u.version),
        conflicts: [],
        repairSql: [],
        trial: undo.length === 0 ? 'nothing to roll back' : 'skipped',
      };
      if (!input.trial || undo.length === 0) return plan;
      const { conflicts } = await trialRollback(
        client,
        steps,
        input.lockTimeoutSeconds,
        async () => undefined,
        `SET LOCAL search_path TO ${input.schema}`,
      );
      return { ...plan, conflicts, repairSql: flyway.flywayConflictRepair(input, conflicts), trial: 'passed' };
    });
  }

  async function readSqlFile(input: SqlRollbackInput): Promise<{ sql: string; sha256: string }> {
    let sql: string;
    try {
      sql = await readFile(input.file, 'utf8');
    } catch (error) {
      throw nonRetryable('NotFound', `sql: rollback file "${input.file}" (file): ${(error as Error).message}`);
    }
    checkScript(sql, input.file);
    return { sql, sha256: createHash('sha256').update(sql).digest('hex') };
  }

  async function sqlVersion(client: pg.Client, input: SqlRollbackInput): Promise<string> {
    const { rows } = await client.query<{ v: unknown }>(
      `SELECT ${input.versionColumn}::text AS v FROM ${input.versionTable} ORDER BY ${input.versionColumn} DESC LIMIT 1`,
    );
    return rows[0]?.v === undefined || rows[0].v === null ? 'none' : String(rows[0].v);
  }

  async function planSql(input: SqlRollbackInput): Promise<MigrationPlan> {
    const { sql, sha256 } = await readSqlFile(input);
    return withClient(input, env, async (client) => {
      const current = await sqlVersion(client, input);
      checkPlanPin(input, current, sha256);
      const plan: MigrationPlan = {
        framework: 'sql',
        current,
        target: input.toVersion,
        unapply: current === input.toVersion ? [] : [input.file],
        conflicts: [],
        repairSql: [],
        trial: current === input.toVersion ? 'nothing to roll back' : 'skipped',
        fileSha256: sha256,
      };
      if (!input.trial || plan.unapply.length === 0) return plan;
      const { conflicts, after } = await trialRollback(
        client,
        [{ name: input.file, sql }],
        input.lockTimeoutSeconds,
        () => sqlVersion(client, input),
      );
      // A plain file has no migration table of its own to repair: a missing object is a failure.
      if (conflicts.length > 0) {
        throw nonRetryable(
          'FailedPrecondition',
          `sql: the trial run of "${input.file}" failed: ${conflicts[0]!.reason}; nothing was changed`,
        );
      }
      if (after !== input.toVersion) {
        throw nonRetryable(
          'FailedPrecondition',
          `sql: the trial run of "${input.file}" leaves ${input.versionTable} at ${after}, not at toVersion ${input.toVersion}; nothing was changed`,
        );
      }
      return { ...plan, trial: 'passed' };
    });
  }

  /** Reads only: the current version, the target, what is unapplied, conflicts and their repair. */
  async function planMigrationRollback(input: DatabaseMigrationRollbackInput): Promise<MigrationPlan> {
    if (input.framework === 'django') return planDjango(input);
    if (input.framework === 'flyway') return planFlyway(input);
    return planSql(input);
  }

  /** The schema version now, as the plan names it. */
  async function readSchemaVersion(input: DatabaseMigrationRollbackInput): Promise<string> {
    if (input.framework === 'django') {
      return django.djangoVersion(input.app, await django.appMigrations(manageRunner(input, env, kube), input));
    }
    return withClient(input, env, async (client) =>
      input.framework === 'flyway'
        ? flyway.flywayVersion(await flyway.appliedVersions(client, input))
        : sqlVersion(client, input),
    );
  }

  /**
   * Forgets the confirmed conflicts' migrations in the migration table, in one transaction. Only
   * those a fresh trial still shows as conflicts: a migration whose schema came back is kept.
   */
  async function repairMigrationHistory(args: {
    input: DatabaseMigrationRollbackInput;
    confirmed: string[];
  }): Promise<MigrationApplyResult & { statements: string[] }> {
    const { input, confirmed } = args;
    if (input.framework === 'sql')
      throw nonRetryable('InvalidInput', 'sql: a plain rollback file has no migration table to repair');
    const fresh = await planMigrationRollback({ ...input, trial: true });
    const names = fresh.conflicts.map((c) => c.name).filter((n) => confirmed.includes(n));
    const statements =
      input.framework === 'django'
        ? django.djangoRepairSql(fresh.conflicts.filter((c) => names.includes(c.name)))
        : flyway.flywayRepairSql(input, names);
    if (statements.length === 0) {
      return {
        changed: false,
        statements,
        message: 'migration table already agrees with the schema; nothing to repair',
      };
    }
    await withClient(input, env, async (client) => {
      await client.query('BEGIN');
      try {
        await lockDatabaseInTransaction(client);
        for (const statement of statements) await client.query(statement);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    const message = `repaired the migration table: ${statements.join(' ')}`;
    log.info(message);
    return { changed: true, statements, message };
  }

  async function applyDjango(input: DjangoRollbackInput, expected: MigrationPin): Promise<MigrationApplyResult> {
    const target = expected.to.slice(input.app.length + 1);
    const name = appName(input);
    return withClient(input, env, async (client) => {
      await lockDatabase(client, input, input.timeoutSeconds * 1000);
      // A migrate started by a worker that died may still be running: wait for it to finish.
      for (;;) {
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        if (rows[0]!.n === 0) break;
        heartbeat({ waitingFor: `an earlier manage.py migrate still connected as ${name}` });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const left = await django.stillApplied(client, expected.unapply);
      if (left.length === 0) {
        return { changed: false, message: `django: ${expected.to} already; nothing left to unapply` };
      }
      const output = await django.migrateBack(manageRunner(input, env, kube), input, target, name);
      const unapplied = output.split('\n').filter((l) => /Unapplying /.test(l)).length;
      return {
        changed: true,
        message: `django: unapplied ${left.join(', ')} (${unapplied} by python manage.py migrate ${input.app} ${target})`,
      };
    });
  }

  /** Runs `body` in one transaction under the database lock, committing only when it returns changed. */
  async function inOneTransaction(
    input: FlywayRollbackInput | SqlRollbackInput,
    body: (client: pg.Client) => Promise<MigrationApplyResult>,
  ): Promise<MigrationApplyResult> {
    // One statement can run for long: heartbeat meanwhile, so a dead worker is noticed and a
    // live one is not given up on.
    const beat = setInterval(() => heartbeat({ inTransaction: describeDatabase(input) }), 2000);
    return withClient(input, env, async (client) => {
      await client.query('BEGIN');
      try {
        await lockDatabaseInTransaction(client);
        await client.query(`SET LOCAL lock_timeout = ${Math.round(input.lockTimeoutSeconds * 1000)}`);
        const result = await body(client);
        await client.query(result.changed ? 'COMMIT' : 'ROLLBACK');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }).finally(() => clearInterval(beat));
  }

  function targetChanged(what: string, current: string, expected: MigrationPin): never {
    throw nonRetryable(
      'TargetChanged',
      `${what} is at ${current}, not the planned ${expected.from} (plan: ${expected.from} to ${expected.to}); plan again`,
    );
  }

  async function applyFlyway(input: FlywayRollbackInput, expected: MigrationPin): Promise<MigrationApplyResult> {
    const undo = expected.unapply.map((version) => ({ version, description: '', script: '' }));
    const steps = await flyway.undoScripts(input, undo);
    return inOneTransaction(input, async (client) => {
      const what = `flyway: ${describeDatabase(input)}`;
      const before = flyway.flywayVersion(await flyway.appliedVersions(client, input));
      if (before === expected.to) return { changed: false, message: `${what} is already at version ${expected.to}` };
      if (before !== expected.from) targetChanged(what, before, expected);
      await flyway.useSchema(client, input);
      for (const step of steps) {
        heartbeat({ undoing: step.name });
        await client.query(step.sql).catch((error: unknown) => {
          throw nonRetryable(
            'RollbackFailed',
            `flyway: undo of version ${step.name} failed (${(error as { code?: string }).code ?? ''}: ${(error as Error).message}); the whole undo was rolled back, nothing changed`,
          );
        });
      }
      for (const statement of flyway.flywayRepairSql(input, expected.unapply)) await client.query(statement);
      const after = flyway.flywayVersion(await flyway.appliedVersions(client, input));
      if (after !== expected.to) {
        throw nonRetryable(
          'VerificationFailed',
          `${what} would be at ${after} after the undo, not ${expected.to}; rolled back`,
        );
      }
      return {
        changed: true,
        message: `flyway: undid version${steps.length > 1 ? 's' : ''} ${expected.unapply.join(', ')} (U scripts and ${input.table}, one transaction); now at ${after}`,
      };
    });
  }

  async function applySql(input: SqlRollbackInput, expected: MigrationPin): Promise<MigrationApplyResult> {
    const { sql, sha256 } = await readSqlFile(input);
    return inOneTransaction(input, async (client) => {
      const what = `sql: ${input.versionTable} of ${describeDatabase(input)}`;
      const before = await sqlVersion(client, input);
      if (before === expected.to) return { changed: false, message: `${what} is already at ${expected.to}` };
      if (before !== expected.from) targetChanged(what, before, expected);
      if (expected.fileSha256 && expected.fileSha256 !== sha256) {
        throw nonRetryable(
          'TargetChanged',
          `sql: the rollback file "${input.file}" changed since the plan (sha256 ${sha256.slice(0, 12)}, planned ${expected.fileSha256.slice(0, 12)}); plan again`,
        );
      }
      await client.query(sql).catch((error: unknown) => {
        throw nonRetryable(
          'RollbackFailed',
          `sql: "${input.file}" failed (${(error as { code?: string }).code ?? ''}: ${(error as Error).message}); the transaction was rolled back, nothing changed`,
        );
      });
      const after = await sqlVersion(client, input);
      if (after !== expected.to) {
        throw nonRetryable(
          'VerificationFailed',
          `sql: "${input.file}" leaves ${input.versionTable} at ${after}, not ${expected.to}; the transaction was rolled back`,
        );
      }
      return {
        changed: true,
        message: `sql: ran "${input.file}" in one transaction; ${input.versionTable} ${before} -> ${after}`,
      };
    });
  }

  /** Applies exactly the planned rollback, or nothing when it is already done. */
  async function applyMigrationRollback(args: {
    input: DatabaseMigrationRollbackInput;
    expected: MigrationPin;
  }): Promise<MigrationApplyResult> {
    const { input, expected } = args;
    if (input.framework === 'django') return applyDjango(input, expected);
    if (input.framework === 'flyway') return applyFlyway(input, expected);
    return applySql(input, expected);
  }

  return { planMigrationRollback, readSchemaVersion, repairMigrationHistory, applyMigrationRollback };
}
