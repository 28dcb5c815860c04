// Verification queries against a real PostgreSQL server.
import { ApplicationFailure } from '@temporalio/common';
import { createDatabaseActivities } from '../../src/activities/database.js';
import { seedVerificationDatabase, startPostgres, type Postgres } from '../support/postgres.js';
import { activityContext, runActivity } from '../support/activityContext.js';

let pgServer: Postgres;
let database: ReturnType<typeof createDatabaseActivities>;
const run = runActivity;

beforeAll(async () => {
  pgServer = await startPostgres();
  await seedVerificationDatabase(pgServer, 'orders');
  database = createDatabaseActivities({ ORDERS_DB_PASSWORD: pgServer.password });
});
afterAll(async () => {
  await pgServer?.stop();
});

const connection = () => ({
  host: pgServer.host,
  port: pgServer.port,
  database: 'orders',
  user: pgServer.user,
  passwordEnv: 'ORDERS_DB_PASSWORD',
});

test('runs the runbook queries and reports each with its observed value', async () => {
  const checks = await run(database.verifyDatabase, {
    ...connection(),
    queries: [
      { check: 'critical rows', sql: 'SELECT COUNT(*) FROM critical_table', expect: { min: 1 } },
      { check: 'newest row', sql: 'SELECT MAX(created_at) FROM critical_table' },
      {
        check: 'schema version',
        sql: 'SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1',
        expect: { equals: '20261115000000' },
      },
    ],
  });
  expect(checks).toEqual([
    { check: 'critical rows', passed: true, observed: '42', expected: '>= 1' },
    { check: 'newest row', passed: true, observed: '2026-11-20T08:42:00.000Z', expected: 'a value (not NULL)' },
    { check: 'schema version', passed: true, observed: '20261115000000', expected: '= 20261115000000' },
  ]);
});

test('an unmet expectation is a failed check, not an error', async () => {
  const [check] = await run(database.verifyDatabase, {
    ...connection(),
    queries: [{ check: 'critical rows', sql: 'SELECT COUNT(*) FROM critical_table', expect: { min: 1000 } }],
  });
  expect(check).toMatchObject({
    passed: false,
    observed: '42',
    expected: '>= 1000',
    detail: 'value below the minimum',
  });
});

test('queries run read-only: a write is rejected and changes nothing', async () => {
  const error = await run(database.verifyDatabase, {
    ...connection(),
    queries: [{ check: 'sneaky write', sql: 'DELETE FROM critical_table' }],
  }).catch((e: unknown) => e);
  expect((error as ApplicationFailure).type).toBe('InvalidInput');
  expect((error as ApplicationFailure).message).toContain('read-only transaction');
  expect((await pgServer.query('SELECT COUNT(*) AS n FROM critical_table', 'orders')).rows[0].n).toBe('42');
});

test('a wrong password fails non-retryably and the message holds no password', async () => {
  const wrong = createDatabaseActivities({ ORDERS_DB_PASSWORD: 'not-the-password' });
  const error = await run(wrong.verifyDatabase, {
    ...connection(),
    queries: [{ check: 'rows', sql: 'SELECT 1' }],
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).type).toBe('Forbidden');
  expect((error as ApplicationFailure).message).not.toContain('not-the-password');
  expect((error as ApplicationFailure).message).not.toContain(pgServer.password);
});

test('a password variable the worker lacks is named in a non-retryable error', async () => {
  const error = await run(database.verifyDatabase, {
    ...connection(),
    passwordEnv: 'MISSING_DB_PASSWORD',
    queries: [{ check: 'rows', sql: 'SELECT 1' }],
  }).catch((e: unknown) => e);
  expect((error as ApplicationFailure).message).toContain('the worker has no MISSING_DB_PASSWORD (passwordEnv)');
});

test('heartbeats while a query runs, so a dead worker is noticed at the heartbeat timeout', async () => {
  const ctx = activityContext();
  const [check] = await ctx.run(database.verifyDatabase, {
    ...connection(),
    queries: [{ check: 'slow query', sql: 'SELECT 1 FROM pg_sleep(5.5)', expect: { equals: '1' } }],
  });
  expect(check).toMatchObject({ passed: true, observed: '1' });
  // Every 5 s while the 5.5-s query ran: one heartbeat at least.
  expect(ctx.heartbeats.length).toBeGreaterThanOrEqual(1);
});
