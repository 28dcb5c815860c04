// Django: `python manage.py migrate <app> <previous-migration>` (runbook "Rollback Migration",
// method 1). The plan comes from Django itself (`showmigrations --list`, `migrate --plan`), the
// trial runs `sqlmigrate --backwards` of each migration in a rolled-back transaction, and the
// migration table is django_migrations.
import { log } from '@temporalio/activity';
import type pg from 'pg';
import type { DjangoRollbackInput } from '../../domain/schemas/databaseMigrationRollback.js';
import { nonRetryable } from '../failures.js';
import { commandLine, type ManageRunner } from './manage.js';
import { literal, type Conflict, type TrialStep } from './postgres.js';

export interface AppMigration {
  name: string;
  applied: boolean;
}

async function manage(run: ManageRunner, input: DjangoRollbackInput, args: string[]): Promise<string> {
  const result = await run(args, { timeoutMs: 120_000 });
  if (result.exitCode !== 0) {
    throw nonRetryable(
      'FailedPrecondition',
      `django: ${commandLine(input, args)} failed (exit ${result.exitCode}): ${tail(result.output)}`,
    );
  }
  return result.output;
}

export function tail(output: string, lines = 6): string {
  return output.trim().split('\n').slice(-lines).join('\n');
}

/** `showmigrations --list <app>`: the app's migrations in order, each applied or not. */
export async function appMigrations(run: ManageRunner, input: DjangoRollbackInput): Promise<AppMigration[]> {
  const output = await manage(run, input, ['showmigrations', '--list', input.app]);
  const migrations: AppMigration[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*\[( |X|-)\]\s+(\S+)/.exec(line);
    if (m) migrations.push({ name: m[2]!, applied: m[1] === 'X' });
  }
  return migrations;
}

/** The app's newest applied migration as `app.name`, or `app.zero`. */
export function djangoVersion(app: string, migrations: AppMigration[]): string {
  const applied = migrations.filter((m) => m.applied);
  return `${app}.${applied[applied.length - 1]?.name ?? 'zero'}`;
}

/** `toMigration` as a full name (Django takes a unique prefix), or the one before the newest applied. */
export function resolveTarget(input: DjangoRollbackInput, migrations: AppMigration[]): string {
  const applied = migrations.filter((m) => m.applied).map((m) => m.name);
  const known = migrations.map((m) => m.name).join(', ') || 'none';
  if (input.toMigration === undefined) {
    if (applied.length === 0)
      throw nonRetryable('NotFound', `django: app "${input.app}" has no applied migration to roll back`);
    return applied.length === 1 ? 'zero' : applied[applied.length - 2]!;
  }
  if (input.toMigration === 'zero') return 'zero';
  const matches = migrations.filter((m) => m.name === input.toMigration || m.name.startsWith(input.toMigration!));
  const exact = matches.find((m) => m.name === input.toMigration);
  const found = exact ?? (matches.length === 1 ? matches[0] : undefined);
  if (!found) {
    throw nonRetryable(
      'NotFound',
      `django: migration "${input.toMigration}" (toMigration) ${matches.length > 1 ? 'is ambiguous' : 'not found'} in app "${input.app}"; its migrations: ${known}`,
    );
  }
  if (!found.applied) {
    throw nonRetryable(
      'InvalidInput',
      `django: migration "${found.name}" (toMigration) of app "${input.app}" is not applied; a rollback only goes back to an applied migration`,
    );
  }
  return found.name;
}

/** `migrate <app> <target> --plan`: the migrations it would unapply (of any app), in order. */
export async function unapplyPlan(run: ManageRunner, input: DjangoRollbackInput, target: string): Promise<string[]> {
  const output = await manage(run, input, ['migrate', input.app, target, '--plan']);
  const names: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_]+)\s*$/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

/** The SQL that unapplies each migration (`sqlmigrate --backwards`), for the trial. */
export async function backwardsSql(
  run: ManageRunner,
  input: DjangoRollbackInput,
  names: string[],
): Promise<TrialStep[]> {
  const steps: TrialStep[] = [];
  for (const name of names) {
    const [app, migration] = name.split('.') as [string, string];
    const output = await manage(run, input, ['sqlmigrate', app, migration, '--backwards']);
    // sqlmigrate wraps the SQL in BEGIN/COMMIT; the trial runs it inside its own transaction.
    const sql = output
      .split('\n')
      .filter((l) => !/^(BEGIN|COMMIT);\s*$/.test(l))
      .join('\n');
    steps.push({ name, sql });
  }
  return steps;
}

/** The repair of a conflict: forget the migrations whose schema is not there. */
export function djangoRepairSql(conflicts: Conflict[]): string[] {
  return conflicts.map((c) => {
    const [app, name] = c.name.split('.') as [string, string];
    return `DELETE FROM django_migrations WHERE app = ${literal(app)} AND name = ${literal(name)};`;
  });
}

/** Which of `names` django_migrations still lists as applied. */
export async function stillApplied(client: pg.Client, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { rows } = await client.query<{ id: string }>(
    `SELECT app || '.' || name AS id FROM django_migrations WHERE app || '.' || name = ANY($1)`,
    [names],
  );
  const applied = new Set(rows.map((r) => r.id));
  return names.filter((n) => applied.has(n));
}

/** Runs the runbook's command; Django unapplies each migration in a transaction of its own. */
export async function migrateBack(
  run: ManageRunner,
  input: DjangoRollbackInput,
  target: string,
  applicationName: string,
): Promise<string> {
  const args = ['migrate', input.app, target, '--no-input'];
  log.info(`django: ${commandLine(input, args)}`);
  const result = await run(args, { applicationName, timeoutMs: input.timeoutSeconds * 1000 });
  if (result.exitCode !== 0) {
    throw nonRetryable(
      'RollbackFailed',
      `django: ${commandLine(input, args)} failed (exit ${result.exitCode}); each migration is unapplied in its own transaction, so the failing one left nothing behind: ${tail(result.output)}`,
    );
  }
  return result.output;
}
