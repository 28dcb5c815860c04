// PostgreSQL pieces shared by the three migration frameworks: the connection (password from the
// worker's environment only), the per-database lock that keeps two rollbacks apart, and the trial
// run of a rollback inside a transaction that is always rolled back.
import { heartbeat } from '@temporalio/activity';
import type pg from 'pg';
import type { MigrationConflict } from '../../domain/schemas/databaseMigrationRollback.js';
import { databaseClient, describeDatabase, passwordOf, queryError, type DatabaseConnection } from '../database.js';
import { nonRetryable } from '../failures.js';

/** The password of a migration's database: a worker without the variable is not configured for it. */
export function migrationPassword(c: DatabaseConnection, env: NodeJS.ProcessEnv): string | undefined {
  return passwordOf(c, env, { context: 'migration', type: 'NotConfigured' });
}

export async function connect(c: DatabaseConnection, env: NodeJS.ProcessEnv): Promise<pg.Client> {
  const client = databaseClient(c, migrationPassword(c, env), 'rollback-orchestrator');
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw queryError(error, `migration: ${describeDatabase(c)}`);
  }
  return client;
}

/** Opens a connection, runs `body`, always closes; PostgreSQL errors become failures naming the database. */
export async function withClient<T>(
  c: DatabaseConnection,
  env: NodeJS.ProcessEnv,
  body: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(c, env);
  try {
    return await body(client);
  } catch (error) {
    throw queryError(error, `migration: ${describeDatabase(c)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// One migration rollback at a time per database, whichever worker runs it.
const LOCK_KEY = 'rollback-orchestrator:migration-rollback';

/**
 * Takes the database's session lock, heartbeating while another rollback holds it. A worker that
 * dies loses its connection and with it the lock, so a retry is never locked out by a dead worker.
 */
export async function lockDatabase(client: pg.Client, c: DatabaseConnection, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [LOCK_KEY]);
    if (rows[0]?.ok) return;
    heartbeat({ waitingFor: `another migration rollback on ${describeDatabase(c)}` });
    if (Date.now() - started > timeoutMs) {
      throw nonRetryable('WaitLimitExceeded', `migration: another migration rollback holds ${describeDatabase(c)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The transaction-scoped form, for rollbacks that run entirely inside one transaction. */
export async function lockDatabaseInTransaction(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_KEY]);
}

// SQLSTATEs of a statement that refers to something that is not there: the rollback of a
// migration whose schema is already gone (Database Rollback Conflicts).
const UNDEFINED_OBJECT = new Set(['42P01', '42703', '42704', '42883', '3F000']);

export interface TrialStep {
  /** The migration this SQL unapplies ("shop.0003_order_discount", "3"). */
  name: string;
  sql: string;
}

export type Conflict = MigrationConflict;

/**
 * Runs each step's SQL in one transaction that is always rolled back (a savepoint per step). A
 * step that fails because its objects are not there is a conflict: the migration table says it
 * is applied, the schema says it is not; the trial goes on past it. Any other failure means the
 * rollback itself would fail: the plan is refused, naming the step and the error.
 * `afterSteps` runs in the same transaction (sql: read the version the file leaves).
 */
export async function trialRollback<T>(
  client: pg.Client,
  steps: TrialStep[],
  lockTimeoutSeconds: number,
  afterSteps: () => Promise<T>,
  setupSql?: string,
): Promise<{ conflicts: Conflict[]; after: T }> {
  const conflicts: Conflict[] = [];
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutSeconds * 1000)}`);
    if (setupSql) await client.query(setupSql);
    for (const step of steps) {
      await client.query('SAVEPOINT rollback_trial_step');
      try {
        await client.query(step.sql);
        await client.query('RELEASE SAVEPOINT rollback_trial_step');
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (!UNDEFINED_OBJECT.has(code)) {
          if (code === '55P03') throw error; // a lock held by someone else: worth retrying
          throw nonRetryable(
            'FailedPrecondition',
            `migration: the trial rollback of ${step.name} failed (${code}: ${(error as Error).message}); nothing was changed`,
          );
        }
        await client.query('ROLLBACK TO SAVEPOINT rollback_trial_step');
        conflicts.push({ name: step.name, reason: (error as Error).message });
      }
    }
    return { conflicts, after: await afterSteps() };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** `DELETE FROM ...` with literals quoted, to show people exactly what the repair runs. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The statements of a script without psql meta-commands and without its own transaction control. */
export function checkScript(text: string, name: string): void {
  const lines = text.split('\n');
  const meta = lines.findIndex((l) => l.trimStart().startsWith('\\'));
  if (meta >= 0) {
    throw nonRetryable(
      'InvalidInput',
      `migration: ${name} line ${meta + 1} is a psql meta-command (${lines[meta]!.trim()}); only SQL statements are run`,
    );
  }
  const control = lines.findIndex((l) =>
    /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\s*(WORK|TRANSACTION)?\s*;/i.test(l),
  );
  if (control >= 0) {
    throw nonRetryable(
      'InvalidInput',
      `migration: ${name} line ${control + 1} controls the transaction (${lines[control]!.trim()}); the rollback runs the whole script in one transaction of its own`,
    );
  }
}
