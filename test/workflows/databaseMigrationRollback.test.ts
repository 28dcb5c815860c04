// databaseMigrationRollback on a real PostgreSQL: the Django fixture project (real Django), Flyway
// migrations applied by real Flyway, and plain SQL rollback files; plan, pin, apply, refusals,
// failing rollbacks that change nothing, and the conflict repair behind confirmation.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import path from 'node:path';
import type { DatabaseMigrationRollbackResult } from '../../src/workflows/databaseMigrationRollback.js';
import { confirmSignal } from '../../src/workflows/support/confirmation.js';
import { procedureStatusQuery } from '../../src/workflows/support/progress.js';
import {
  DB_PASSWORD_ENV,
  appliedDjango,
  columns,
  connection,
  djangoDatabase,
  djangoProject,
  flyway,
  flywayDatabase,
  flywayFixtures,
  flywayHistory,
  schemaVersion,
  sqlDatabase,
  sqlFixtures,
  unapplyLog,
} from '../support/migrations.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let env: TestWorkflowEnvironment;
let pg: Postgres;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let n = 0;

beforeAll(async () => {
  [env, pg] = await Promise.all([startTimeSkipping(), startPostgres()]);
  process.env[DB_PASSWORD_ENV] = pg.password; // the worker reads it; inputs only name it
  ({ worker, taskQueue } = await createTestWorker(env, configFor('http://127.0.0.1:1')));
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await Promise.all([env?.teardown(), pg?.stop()]);
});

function start(input: Record<string, unknown>) {
  n += 1;
  return env.client.workflow.start('databaseMigrationRollback', {
    args: [input],
    taskQueue,
    workflowId: `migration-${process.pid}-${n}`,
  });
}

async function execute(input: Record<string, unknown>): Promise<DatabaseMigrationRollbackResult> {
  return (await start(input)).result();
}

async function failureOf(input: Record<string, unknown>): Promise<ApplicationFailure> {
  const error = await execute(input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** Every byte string in a history (the payloads), decoded, so a secret cannot hide in base64. */
function payloadText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(payloadText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(payloadText).join('\n');
  return typeof value === 'string' ? value : '';
}

const djangoInput = (database: string, extra: Record<string, unknown> = {}) => ({
  framework: 'django',
  app: 'shop',
  workingDirectory: djangoProject,
  python: toolPath('python'),
  ...connection(pg, database),
  ...extra,
});

describe('django', () => {
  test('dry run lists the migrations to unapply and pins the current one, changing nothing', async () => {
    const db = await djangoDatabase(pg);
    const plan = await execute(djangoInput(db, { dryRun: true }));
    expect(plan).toMatchObject({
      dryRun: true,
      changed: false,
      verified: false,
      from: 'shop.0003_order_discount',
      to: 'shop.0002_order_status',
      unapply: ['shop.0003_order_discount'],
      conflicts: [],
      trial: 'passed',
      pin: { from: 'shop.0003_order_discount', to: 'shop.0002_order_status', unapply: ['shop.0003_order_discount'] },
    });
    expect(plan.message).toContain('would roll back from shop.0003_order_discount to shop.0002_order_status');
    expect(await appliedDjango(pg, db)).toEqual(['0001_initial', '0002_order_status', '0003_order_discount']);
    expect(await columns(pg, db, 'shop_order')).toContain('discount');
    expect(await unapplyLog(pg, db)).toEqual([]); // the trial's writes were rolled back
  });

  test("an apply with the plan's pin runs manage.py migrate back to the previous migration and verifies it", async () => {
    const db = await djangoDatabase(pg);
    const plan = await execute(djangoInput(db, { dryRun: true, toMigration: '0001' }));
    expect(plan.unapply).toEqual(['shop.0003_order_discount', 'shop.0002_order_status']);
    const result = await execute(djangoInput(db, { toMigration: '0001', pin: plan.pin }));
    expect(result).toMatchObject({
      dryRun: false,
      changed: true,
      verified: true,
      from: 'shop.0003_order_discount',
      to: 'shop.0001_initial',
    });
    expect(result.message).toContain('python manage.py migrate shop 0001_initial');
    expect(await appliedDjango(pg, db)).toEqual(['0001_initial']);
    expect(await columns(pg, db, 'shop_order')).toEqual(['id', 'number']);
    expect(await unapplyLog(pg, db)).toEqual(['0003_order_discount', '0002_order_status']);

    const again = await execute(djangoInput(db, { toMigration: '0001', pin: plan.pin }));
    expect(again).toMatchObject({ changed: false, verified: true, to: 'shop.0001_initial' });
    expect(await unapplyLog(pg, db)).toHaveLength(2); // nothing unapplied twice
  });

  test('an apply whose schema moved since the plan fails TargetChanged and changes nothing', async () => {
    const db = await djangoDatabase(pg);
    const plan = await execute(djangoInput(db, { dryRun: true }));
    await execute(djangoInput(db, { toMigration: '0001' }));
    await execute(djangoInput(db, { toMigration: 'zero', dryRun: true }));
    const failure = await failureOf(djangoInput(db, { pin: plan.pin }));
    expect(failure).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect(failure.message).toContain('is at shop.0001_initial, not the planned shop.0003_order_discount');
    expect(await appliedDjango(pg, db)).toEqual(['0001_initial']);
  });

  test('bad input is refused at once, naming the field, and changes nothing', async () => {
    const db = await djangoDatabase(pg);
    const noApp = await failureOf({ ...djangoInput(db), app: undefined });
    expect(noApp).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(noApp.message).toBe('databaseMigrationRollback: invalid input: app: Required');
    const both = await failureOf(djangoInput(db, { pod: { namespace: 'shop', deployment: 'web' } }));
    expect(both.message).toContain('workingDirectory: give either workingDirectory');
    const framework = await failureOf({ ...djangoInput(db), framework: 'rails' });
    expect(framework.message).toContain('framework: Invalid discriminator value');
    const password = await failureOf({ ...djangoInput(db), password: 'hunter2' });
    expect(password.message).toContain('password: unknown field');
    const unknown = await failureOf(djangoInput(db, { toMigration: '0009' }));
    expect(unknown).toMatchObject({ type: 'NotFound' });
    expect(unknown.message).toContain('migration "0009" (toMigration) not found in app "shop"');
    expect(await appliedDjango(pg, db)).toHaveLength(3);
  });

  test('a conflict (0003 recorded, its column gone) is shown with its repair SQL and repaired only after confirm', async () => {
    const db = await djangoDatabase(pg);
    await pg.query('ALTER TABLE shop_order DROP COLUMN discount', db);

    const plan = await execute(djangoInput(db, { dryRun: true }));
    expect(plan.conflicts).toEqual([
      { name: 'shop.0003_order_discount', reason: 'column "discount" of relation "shop_order" does not exist' },
    ]);
    expect(plan.repairSql).toEqual([
      "DELETE FROM django_migrations WHERE app = 'shop' AND name = '0003_order_discount';",
    ]);
    expect(plan.message).toContain('repair after confirm: DELETE FROM django_migrations');

    const handle = await start(djangoInput(db, { pin: plan.pin }));
    await waitFor(
      'the repair to await confirmation',
      async () => (await handle.query(procedureStatusQuery)).awaitingConfirmation === 'repair migration table',
      60_000,
      200,
    );
    const waiting = await handle.query(procedureStatusQuery);
    expect(waiting.detail).toContain("repair: DELETE FROM django_migrations WHERE app = 'shop'");
    expect(await appliedDjango(pg, db)).toHaveLength(3); // nothing repaired before the confirm

    await handle.signal(confirmSignal, { by: 'dba-dora', step: 'repair migration table' });
    const result = await handle.result();
    expect(result).toMatchObject({
      changed: true,
      verified: true,
      to: 'shop.0002_order_status',
      repaired: ["DELETE FROM django_migrations WHERE app = 'shop' AND name = '0003_order_discount';"],
    });
    expect(await appliedDjango(pg, db)).toEqual(['0001_initial', '0002_order_status']);
    expect(await columns(pg, db, 'shop_order')).toEqual(['id', 'number', 'status']);
    expect(await unapplyLog(pg, db)).toEqual([]); // 0003's schema was gone: nothing was unapplied
  });

  test('a conflict whose repair is not confirmed in time fails with the SQL and changes nothing', async () => {
    const db = await djangoDatabase(pg);
    await pg.query('ALTER TABLE shop_order DROP COLUMN discount', db);
    const failure = await failureOf(djangoInput(db, { confirmationTimeoutSeconds: 60 }));
    expect(failure).toMatchObject({ type: 'RollbackFailed', nonRetryable: true });
    expect(failure.message).toContain('the repair was not confirmed within 60s, nothing was changed');
    expect(failure.message).toContain(
      "DELETE FROM django_migrations WHERE app = 'shop' AND name = '0003_order_discount';",
    );
    expect(await appliedDjango(pg, db)).toHaveLength(3);
  });
});

const flywayInput = (database: string, extra: Record<string, unknown> = {}) => ({
  framework: 'flyway',
  scriptsDirectory: path.join(flywayFixtures, 'migrations'),
  ...connection(pg, database),
  ...extra,
});

describe('flyway', () => {
  test('undo of the newest version: U script and history in one transaction; flyway migrate re-applies it', async () => {
    const db = await flywayDatabase(pg);
    const plan = await execute(flywayInput(db, { dryRun: true }));
    expect(plan).toMatchObject({ from: '3', to: '2', unapply: ['3'], trial: 'passed', changed: false });
    expect(await flywayHistory(pg, db)).toEqual(['1', '2', '3']);

    const result = await execute(flywayInput(db, { pin: plan.pin }));
    expect(result).toMatchObject({ changed: true, verified: true, from: '3', to: '2' });
    expect(await flywayHistory(pg, db)).toEqual(['1', '2']);
    expect((await pg.query("SELECT to_regclass('account_audit') AS t", db)).rows[0].t).toBeNull();

    // The history stays Flyway's: info shows 3 pending, and migrate applies it again.
    expect(await flyway(pg, db, 'info')).toContain('3|email index and audit|Pending');
    expect(await flyway(pg, db, 'migrate')).toContain('Successfully applied 1 migrations, now at version 3');
  });

  test('undo down to toVersion runs each U script newest first', async () => {
    const db = await flywayDatabase(pg);
    const result = await execute(flywayInput(db, { toVersion: 1 }));
    expect(result).toMatchObject({ from: '3', to: '1', unapply: ['3', '2'], verified: true });
    expect(await columns(pg, db, 'account')).toEqual(['id', 'name']);
    expect(await flywayHistory(pg, db)).toEqual(['1']);
  });

  test('a failing undo script leaves schema and history exactly as they were', async () => {
    const db = await flywayDatabase(pg);
    const broken = { toVersion: 1, scriptsDirectory: path.join(flywayFixtures, 'undo-broken') };
    const refused = await failureOf(flywayInput(db, broken));
    expect(refused).toMatchObject({ type: 'FailedPrecondition' });
    expect(refused.message).toContain('the trial rollback of 2 failed');

    const failed = await failureOf(flywayInput(db, { ...broken, trial: false }));
    expect(failed).toMatchObject({ type: 'RollbackFailed', nonRetryable: true });
    expect(failed.message).toContain('undo of version 2 failed');
    expect(await flywayHistory(pg, db)).toEqual(['1', '2', '3']);
    expect(await columns(pg, db, 'account')).toEqual(['id', 'name', 'email']);
    expect((await pg.query("SELECT to_regclass('account_audit') AS t", db)).rows[0].t).toBe('account_audit');
  });

  test('a version whose objects are gone is a conflict; confirmed, its history row goes and the undo goes on', async () => {
    const db = await flywayDatabase(pg);
    await pg.query('DROP INDEX account_email', db);
    const plan = await execute(flywayInput(db, { dryRun: true, toVersion: 1 }));
    expect(plan.conflicts.map((c) => c.name)).toEqual(['3']);
    expect(plan.conflicts[0]!.reason).toContain('"account_email" does not exist');
    expect(plan.repairSql).toEqual(["DELETE FROM public.flyway_schema_history WHERE version = '3';"]);

    const handle = await start(flywayInput(db, { toVersion: 1, pin: plan.pin }));
    await waitFor(
      'the repair to await confirmation',
      async () => (await handle.query(procedureStatusQuery)).awaitingConfirmation === 'repair migration table',
      60_000,
      200,
    );
    await handle.signal(confirmSignal, { by: 'dba-dora' });
    expect(await handle.result()).toMatchObject({ verified: true, from: '2', to: '1', unapply: ['2'] });
    expect(await flywayHistory(pg, db)).toEqual(['1']);
    // The repair forgot version 3 only; its audit table was not touched by an undo.
    expect((await pg.query("SELECT to_regclass('account_audit') AS t", db)).rows[0].t).toBe('account_audit');
  });

  test('a confirm in the one shape { by, step, notes } confirms the repair; one without a person does not', async () => {
    const db = await flywayDatabase(pg);
    await pg.query('DROP INDEX account_email', db);
    const handle = await start(flywayInput(db, { toVersion: 1, confirmationTimeoutSeconds: 3600 }));
    const awaiting = async () => (await handle.query(procedureStatusQuery)).awaitingConfirmation;
    await waitFor('the repair to await confirmation', async () => (await awaiting()) === 'repair migration table');
    // Ignored (logged): a confirm must name who gave it. The history shows it arrived first.
    await handle.signal('confirm', { step: 'repair migration table', notes: 'anonymous' });
    await handle.signal(confirmSignal, {
      by: 'dba-dora',
      step: 'repair migration table',
      notes: 'index dropped by hand',
    });
    expect(await handle.result()).toMatchObject({ verified: true, from: '2', to: '1', unapply: ['2'] });
    expect(await flywayHistory(pg, db)).toEqual(['1']);
    const progress = await handle.query(procedureStatusQuery);
    expect(progress.completed.map((s) => s.detail)).toContainEqual(expect.stringMatching(/^confirmed by dba-dora: /));
  });
});

const sqlInput = (database: string, file: string, extra: Record<string, unknown> = {}) => ({
  framework: 'sql',
  file: path.join(sqlFixtures, file),
  toVersion: '20261101000000',
  ...connection(pg, database),
  ...extra,
});

describe('sql', () => {
  test('a rollback file runs in one transaction, moves schema_migrations exactly, and a retry is a no-op', async () => {
    const db = await sqlDatabase(pg);
    const plan = await execute(sqlInput(db, 'rollback-20261115.sql', { dryRun: true }));
    expect(plan).toMatchObject({
      from: '20261115000000',
      to: '20261101000000',
      trial: 'passed',
      pin: { from: '20261115000000', to: '20261101000000', fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(await columns(pg, db, 'orders')).toContain('discount_cents');

    const result = await execute(sqlInput(db, 'rollback-20261115.sql', { pin: plan.pin }));
    expect(result).toMatchObject({ changed: true, verified: true, from: '20261115000000', to: '20261101000000' });
    expect(await columns(pg, db, 'orders')).toEqual(['id', 'total_cents']);
    expect(await schemaVersion(pg, db)).toBe('20261101000000');

    const again = await execute(sqlInput(db, 'rollback-20261115.sql', { pin: plan.pin }));
    expect(again).toMatchObject({ changed: false, verified: true });
  });

  test('a file that fails half-way leaves the schema unchanged', async () => {
    const db = await sqlDatabase(pg);
    const refused = await failureOf(sqlInput(db, 'rollback-fails-halfway.sql'));
    expect(refused.message).toContain('column "no_such_column" of relation "orders" does not exist');
    const failed = await failureOf(sqlInput(db, 'rollback-fails-halfway.sql', { trial: false }));
    expect(failed).toMatchObject({ type: 'RollbackFailed', nonRetryable: true });
    expect(failed.message).toContain('the transaction was rolled back, nothing changed');
    expect(await columns(pg, db, 'orders')).toContain('discount_cents');
    expect(await schemaVersion(pg, db)).toBe('20261115000000');
  });

  test('a file that commits by itself is refused before anything runs', async () => {
    const db = await sqlDatabase(pg);
    const failure = await failureOf(sqlInput(db, 'rollback-with-commit.sql'));
    expect(failure).toMatchObject({ type: 'InvalidInput' });
    expect(failure.message).toContain('line 2 controls the transaction (COMMIT;)');
    expect(await columns(pg, db, 'orders')).toContain('discount_cents');
  });

  test('a stale pin (the version moved) fails TargetChanged', async () => {
    const db = await sqlDatabase(pg);
    const plan = await execute(sqlInput(db, 'rollback-20261115.sql', { dryRun: true }));
    await pg.query("INSERT INTO schema_migrations VALUES ('20261120000000')", db);
    const failure = await failureOf(sqlInput(db, 'rollback-20261115.sql', { pin: plan.pin }));
    expect(failure).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect(failure.message).toContain(
      'is at 20261120000000, not the planned 20261115000000 (plan: 20261115000000 to 20261101000000); plan again',
    );
    expect(await columns(pg, db, 'orders')).toContain('discount_cents');
  });

  test('the password stays in the worker: not in input, history or result', async () => {
    const db = await sqlDatabase(pg);
    const handle = await start(sqlInput(db, 'rollback-20261115.sql'));
    await handle.result();
    const decoded = payloadText(await handle.fetchHistory()) + JSON.stringify(await handle.result());
    expect(decoded).toContain(DB_PASSWORD_ENV);
    expect(decoded).not.toContain(pg.password);
  });

  test('a missing password variable fails NotConfigured, naming it', async () => {
    const db = await sqlDatabase(pg);
    const failure = await failureOf(sqlInput(db, 'rollback-20261115.sql', { passwordEnv: 'NO_SUCH_PASSWORD_ENV' }));
    expect(failure).toMatchObject({ type: 'NotConfigured' });
    expect(failure.message).toContain('the worker has no NO_SUCH_PASSWORD_ENV (passwordEnv)');
  });
});
