// Flyway: the runbook's `flyway undo` (method 2). Undo is a paid Flyway edition's command, so this
// does what it does, itself: run the matching U<version>__*.sql scripts newest first and remove
// their versions from flyway_schema_history, all in one transaction. A later community
// `flyway migrate` then sees those versions as pending and applies them again.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { compareFlywayVersions, type FlywayRollbackInput } from '../../domain/schemas/databaseMigrationRollback.js';
import { nonRetryable } from '../failures.js';
import { checkScript, literal, type Conflict, type TrialStep } from './postgres.js';

export interface FlywayApplied {
  version: string;
  description: string;
  script: string;
}

const table = (input: FlywayRollbackInput) => `${input.schema}.${input.table}`;

/** Applied, successful versioned migrations (what `flyway info` shows as Success), oldest first. */
export async function appliedVersions(client: pg.Client, input: FlywayRollbackInput): Promise<FlywayApplied[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table(input)]);
  if (!exists.rows[0]?.t) {
    throw nonRetryable('NotFound', `flyway: table ${table(input)} not found (no Flyway migrations in this schema)`);
  }
  const { rows } = await client.query<FlywayApplied>(
    `SELECT version, description, script FROM ${table(input)}
      WHERE version IS NOT NULL AND success AND type NOT IN ('DELETE', 'UNDO_SQL', 'UNDO_JDBC')`,
  );
  return rows.sort((a, b) => compareFlywayVersions(a.version, b.version));
}

export function flywayVersion(applied: FlywayApplied[]): string {
  return applied[applied.length - 1]?.version ?? 'none';
}

/** The versions to undo, newest first: the newest alone (`flyway undo`), or all above `toVersion`. */
export function versionsToUndo(
  input: FlywayRollbackInput,
  applied: FlywayApplied[],
): { target: string; undo: FlywayApplied[] } {
  if (applied.length === 0) throw nonRetryable('NotFound', `flyway: ${table(input)} lists no applied version to undo`);
  if (input.toVersion === undefined) {
    return { target: applied[applied.length - 2]?.version ?? 'none', undo: [applied[applied.length - 1]!] };
  }
  if (!applied.some((a) => compareFlywayVersions(a.version, input.toVersion!) === 0)) {
    throw nonRetryable(
      'NotFound',
      `flyway: version ${input.toVersion} (toVersion) is not applied; applied: ${applied.map((a) => a.version).join(', ')}`,
    );
  }
  const undo = applied.filter((a) => compareFlywayVersions(a.version, input.toVersion!) > 0).reverse();
  return { target: input.toVersion, undo };
}

/** The U script of each version, read from `scriptsDirectory`; a version without one is refused, as Flyway does. */
export async function undoScripts(input: FlywayRollbackInput, undo: FlywayApplied[]): Promise<TrialStep[]> {
  let files: string[];
  try {
    files = await readdir(input.scriptsDirectory);
  } catch (error) {
    throw nonRetryable('NotFound', `flyway: scriptsDirectory "${input.scriptsDirectory}": ${(error as Error).message}`);
  }
  const steps: TrialStep[] = [];
  for (const v of undo) {
    const file = files.find((f) => {
      const m = /^U([0-9._]+)__.*\.sql$/.exec(f);
      return m && compareFlywayVersions(m[1]!, v.version) === 0;
    });
    if (!file) {
      throw nonRetryable(
        'NotFound',
        `flyway: no undo script U${v.version}__*.sql in "${input.scriptsDirectory}" for version ${v.version} (${v.script})`,
      );
    }
    const sql = await readFile(path.join(input.scriptsDirectory, file), 'utf8');
    checkScript(sql, file);
    steps.push({ name: v.version, sql });
  }
  return steps;
}

export function flywayRepairSql(input: FlywayRollbackInput, versions: string[]): string[] {
  return versions.map((v) => `DELETE FROM ${table(input)} WHERE version = ${literal(v)};`);
}

export const flywayConflictRepair = (input: FlywayRollbackInput, conflicts: Conflict[]) =>
  flywayRepairSql(
    input,
    conflicts.map((c) => c.name),
  );

/** Scripts run in the schema Flyway migrates (its default schema). */
export async function useSchema(client: pg.Client, input: FlywayRollbackInput): Promise<void> {
  await client.query(`SET LOCAL search_path TO ${input.schema}`);
}
