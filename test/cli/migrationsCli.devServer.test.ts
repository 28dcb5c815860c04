// databaseMigrationRollback from the compiled rollbackctl (issue 11: each procedure runs from the
// CLI, dry run and for real), on a real PostgreSQL: the Django fixture project migrated by Django,
// and a plain SQL rollback file. The dry run shows the plan and its pin and changes nothing; the
// run with the pin rolls the schema back.
import type { DatabaseMigrationRollbackResult } from '../../src/workflows/databaseMigrationRollback.js';
import { runProcedure, startCliServer, type CliServer } from '../support/ctl.js';
import {
  DB_PASSWORD_ENV,
  appliedDjango,
  columns,
  connection,
  djangoDatabase,
  djangoProject,
  schemaVersion,
  sqlDatabase,
  sqlFixtures,
  unapplyLog,
} from '../support/migrations.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { configFor } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';
import path from 'node:path';

let server: CliServer;
let pg: Postgres;

beforeAll(async () => {
  pg = await startPostgres();
  process.env[DB_PASSWORD_ENV] = pg.password; // the in-process worker reads it; inputs only name it
  server = await startCliServer(configFor('http://127.0.0.1:1'));
});
afterAll(async () => {
  await Promise.all([server?.stop(), pg?.stop()]);
});

const type = 'databaseMigrationRollback';

test('rollbackctl runs a Django migration rollback: a dry run changes nothing and shows the pin, the pinned run unapplies', async () => {
  const db = await djangoDatabase(pg);
  const input = {
    framework: 'django',
    app: 'shop',
    workingDirectory: djangoProject,
    python: toolPath('python'),
    ...connection(pg, db),
  };
  const id = `django-cli-${process.pid}`;

  const dry = await runProcedure<DatabaseMigrationRollbackResult>(server.ctl, type, `${id}-dry`, {
    ...input,
    dryRun: true,
  });
  expect(dry.status.result).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    from: 'shop.0003_order_discount',
    to: 'shop.0002_order_status',
    unapply: ['shop.0003_order_discount'],
    trial: 'passed',
    pin: { from: 'shop.0003_order_discount', to: 'shop.0002_order_status', unapply: ['shop.0003_order_discount'] },
  });
  expect(dry.text).toContain('result: dry run: ');
  expect(dry.text).toContain('"from":"shop.0003_order_discount"');
  // Nothing changed: django_migrations, the column, and the trial's writes rolled back.
  expect(await appliedDjango(pg, db)).toEqual(['0001_initial', '0002_order_status', '0003_order_discount']);
  expect(await columns(pg, db, 'shop_order')).toContain('discount');
  expect(await unapplyLog(pg, db)).toEqual([]);

  const real = await runProcedure<DatabaseMigrationRollbackResult>(server.ctl, type, `${id}-apply`, {
    ...input,
    pin: dry.status.result!.pin,
  });
  expect(real.status.result).toMatchObject({
    dryRun: false,
    changed: true,
    verified: true,
    from: 'shop.0003_order_discount',
    to: 'shop.0002_order_status',
  });
  expect(real.status.result!.message).toContain('python manage.py migrate shop 0002_order_status');
  expect(real.status.completed.map((c) => c.step)).toEqual(expect.arrayContaining(['plan', 'apply', 'verify']));
  expect(await appliedDjango(pg, db)).toEqual(['0001_initial', '0002_order_status']);
  expect(await columns(pg, db, 'shop_order')).not.toContain('discount');
  expect(await unapplyLog(pg, db)).toEqual(['0003_order_discount']);
});

test('rollbackctl runs a SQL rollback file: a dry run changes nothing, the pinned run moves schema_migrations', async () => {
  const db = await sqlDatabase(pg);
  const input = {
    framework: 'sql',
    file: path.join(sqlFixtures, 'rollback-20261115.sql'),
    toVersion: '20261101000000',
    ...connection(pg, db),
  };
  const id = `sql-cli-${process.pid}`;

  const dry = await runProcedure<DatabaseMigrationRollbackResult>(server.ctl, type, `${id}-dry`, {
    ...input,
    dryRun: true,
  });
  expect(dry.status.result).toMatchObject({
    dryRun: true,
    changed: false,
    from: '20261115000000',
    to: '20261101000000',
    trial: 'passed',
    pin: { from: '20261115000000', to: '20261101000000', fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
  });
  expect(await schemaVersion(pg, db)).toBe('20261115000000');
  expect(await columns(pg, db, 'orders')).toEqual(['id', 'total_cents', 'discount_cents']);

  const real = await runProcedure<DatabaseMigrationRollbackResult>(server.ctl, type, `${id}-apply`, {
    ...input,
    pin: dry.status.result!.pin,
  });
  expect(real.status.result).toMatchObject({
    dryRun: false,
    changed: true,
    verified: true,
    from: '20261115000000',
    to: '20261101000000',
  });
  expect(await schemaVersion(pg, db)).toBe('20261101000000');
  expect(await columns(pg, db, 'orders')).toEqual(['id', 'total_cents']);
});
