// Provider: PostgreSQL. `databaseIntegrity` runs the runbook's three queries (row count, newest
// `created_at`, latest migration) and the given ones in one read-only transaction; the password
// comes only from the worker's environment variable the input names (activities/database.ts).
import type { QueryExpectation } from '../../domain/databaseChecks.js';
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { reading, type CheckResult } from '../../domain/verification.js';
import { createDatabaseActivities, type VerificationQuery } from '../database.js';

const now = () => new Date().toISOString();

/** The runbook's queries, with what each must show. */
export function runbookQueries(spec: CheckOf<'databaseIntegrity'>, at: Date): VerificationQuery[] {
  if (!spec.runbookQueries) return [];
  const newest: QueryExpectation =
    spec.maxAgeMinutes !== undefined
      ? { min: Math.floor((at.getTime() - spec.maxAgeMinutes * 60_000) / 1000) }
      : { notNull: true };
  return [
    { check: 'row count', sql: `SELECT COUNT(*) FROM ${spec.table}`, expect: { min: spec.minRows } },
    {
      check: `newest ${spec.createdAtColumn} (epoch seconds)`,
      sql: `SELECT FLOOR(EXTRACT(EPOCH FROM MAX(${spec.createdAtColumn})))::bigint FROM ${spec.table}`,
      expect: newest,
    },
    {
      check: 'schema version',
      sql: `SELECT version FROM ${spec.migrationsTable} ORDER BY version DESC LIMIT 1`,
      expect: spec.schemaVersion !== undefined ? { equals: spec.schemaVersion } : { notNull: true },
    },
  ];
}

export function createDatabaseChecks(env: NodeJS.ProcessEnv = process.env) {
  const { verifyDatabase } = createDatabaseActivities(env);

  async function databaseIntegrity(spec: CheckOf<'databaseIntegrity'>): Promise<CheckResult> {
    const base = {
      check: 'databaseIntegrity',
      target: `database "${spec.database}" at ${spec.host}:${spec.port}`,
      expected: 'every query as expected',
    };
    const queries = [
      ...runbookQueries(spec, new Date()),
      ...spec.queries.map((q) => ({ check: q.name, sql: q.sql, expect: q.expect })),
    ];
    if (queries.length === 0)
      return reading(base, 'unreadable', 'no queries', now(), {
        detail: 'runbookQueries is false and no queries given',
      });
    let results: Awaited<ReturnType<typeof verifyDatabase>>;
    try {
      results = await verifyDatabase({
        host: spec.host,
        port: spec.port,
        database: spec.database,
        user: spec.user,
        passwordEnv: spec.passwordEnv,
        ssl: spec.ssl,
        queries,
      });
    } catch (error) {
      return reading(base, 'unreadable', 'not connected', now(), { detail: (error as Error).message });
    }
    const failed = results.filter((r) => !r.passed);
    const observed = results.map((r) => `${r.check}: ${r.observed}`).join('; ');
    return reading(base, failed.length === 0 ? 'passed' : 'failed', observed, now(), {
      value: failed.length,
      detail:
        failed.map((r) => `${r.check}: expected ${r.expected}${r.detail ? ` (${r.detail})` : ''}`).join('; ') ||
        undefined,
    });
  }

  return { databaseIntegrity };
}
