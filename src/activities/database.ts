// Verification queries against a PostgreSQL database, read-only. The password comes from the
// worker's environment (the variable the input names), so it is never in workflow input, history,
// results or failure messages.
import { log } from '@temporalio/activity';
import pg from 'pg';
import { evaluateQuery, type QueryExpectation } from '../domain/databaseChecks.js';
import type { VerificationCheck } from '../domain/verification.js';
import { nonRetryable, type FailureTypeName } from './failures.js';
import { keepHeartbeating } from './waiting.js';

/** A PostgreSQL database and how to log in to it (verification, migration rollbacks). */
export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Name of the worker's environment variable holding the password; none for trust/peer auth. */
  passwordEnv?: string;
  ssl?: boolean;
}

export const describeDatabase = (c: DatabaseConnection) => `database "${c.database}" at ${c.host}:${c.port}`;

/**
 * The password from the worker's environment variable the connection names (none named: none).
 * An unset variable fails `missing`, naming the variable, never a value.
 */
export function passwordOf(
  c: DatabaseConnection,
  env: NodeJS.ProcessEnv,
  missing: { context: string; type: FailureTypeName },
): string | undefined {
  if (!c.passwordEnv) return undefined;
  const password = env[c.passwordEnv];
  if (password === undefined) {
    throw nonRetryable(
      missing.type,
      `${missing.context}: the worker has no ${c.passwordEnv} (passwordEnv) for ${describeDatabase(c)}`,
    );
  }
  return password;
}

/** A client for the connection, not yet connected; TLS, when asked for, verifies the server. */
export function databaseClient(c: DatabaseConnection, password: string | undefined, applicationName?: string) {
  return new pg.Client({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password,
    ssl: c.ssl ? { rejectUnauthorized: true } : undefined,
    connectionTimeoutMillis: 10_000,
    ...(applicationName ? { application_name: applicationName } : {}),
  });
}

export interface VerificationQuery {
  check: string;
  sql: string;
  expect?: QueryExpectation;
}

export interface DatabaseVerificationInput extends DatabaseConnection {
  queries: VerificationQuery[];
  statementTimeoutSeconds?: number;
}

// PostgreSQL SQLSTATE classes that no retry can fix.
const AUTH_FAILED = new Set(['28000', '28P01']);
// Syntax and access errors, data errors, unsupported features, a write in the read-only transaction.
const BAD_QUERY_CLASSES = ['42', '22', '0A', '25006'];
const MISSING_DATABASE = '3D000';

export function createDatabaseActivities(env: NodeJS.ProcessEnv = process.env) {
  async function verifyDatabase(input: DatabaseVerificationInput): Promise<VerificationCheck[]> {
    const where = describeDatabase(input);
    const password = passwordOf(input, env, { context: 'database', type: 'InvalidInput' });
    const client = databaseClient(input, password);
    // A query may run up to its statement timeout: the heartbeat says the worker is alive meanwhile.
    const stopHeartbeating = keepHeartbeating();
    try {
      await client.connect();
      await client.query('BEGIN TRANSACTION READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.round((input.statementTimeoutSeconds ?? 30) * 1000)}`);
      const checks: VerificationCheck[] = [];
      for (const q of input.queries) {
        const result = await client.query({ text: q.sql, rowMode: 'array' }).catch((error: unknown) => {
          throw queryError(error, `database: check "${q.check}" on ${where}`);
        });
        const first = (result.rows[0] as unknown[] | undefined)?.[0];
        const observed = result.rows.length === 0 ? undefined : first === null ? null : textOf(first);
        const check = evaluateQuery(q.check, observed, q.expect);
        log.info(`database: ${q.check}: ${check.passed ? 'passed' : 'FAILED'} (observed ${check.observed})`);
        checks.push(check);
      }
      await client.query('ROLLBACK');
      return checks;
    } catch (error) {
      throw queryError(error, `database: ${where}`);
    } finally {
      stopHeartbeating();
      await client.end().catch(() => undefined);
    }
  }

  return { verifyDatabase };
}

function textOf(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** A PostgreSQL error as a Temporal failure: auth, missing database and bad SQL are non-retryable. */
export function queryError(error: unknown, context: string): unknown {
  const code = (error as { code?: string }).code ?? '';
  // Already mapped (a check's own failure rethrown by the outer catch).
  if ((error as { nonRetryable?: boolean }).nonRetryable) return error;
  const message = (error as Error).message;
  if (AUTH_FAILED.has(code)) return nonRetryable('Forbidden', `${context}: authentication failed (${message})`);
  if (code === MISSING_DATABASE) return nonRetryable('NotFound', `${context}: ${message}`);
  if (BAD_QUERY_CLASSES.some((c) => code.startsWith(c))) {
    return nonRetryable('InvalidInput', `${context}: the query was rejected (${code}: ${message})`);
  }
  // Connection refused, DNS not yet resolving the new endpoint, a restart: worth retrying.
  return error;
}
