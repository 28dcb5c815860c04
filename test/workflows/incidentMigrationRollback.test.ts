// An incident whose procedure is databaseMigrationRollback: planned at assessment (the plan's
// from/to and pin), applied with that pin for a P0, on a real PostgreSQL.
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { entries, p1Input, useIncidentHarness, type IncidentHarness } from '../support/incident.js';
import {
  DB_PASSWORD_ENV,
  columns,
  connection,
  schemaVersion,
  sqlDatabase,
  sqlFixtures,
} from '../support/migrations.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import path from 'node:path';

let pg: Postgres;
let h: IncidentHarness;

beforeAll(async () => {
  pg = await startPostgres();
  process.env[DB_PASSWORD_ENV] = pg.password; // read by the harness's worker, named by the input
});
useIncidentHarness((started) => (h = started));
afterAll(async () => {
  await pg?.stop();
});

test('a P0 incident plans the SQL rollback, applies it with the pin and reports it verified', async () => {
  const db = await sqlDatabase(pg);
  const procedure = {
    type: 'databaseMigrationRollback',
    input: {
      framework: 'sql',
      file: path.join(sqlFixtures, 'rollback-20261115.sql'),
      toVersion: '20261101000000',
      ...connection(pg, db),
    },
  };
  const handle = await h.start(
    p1Input(h.receiver.url, `orders-db-${db}`, { errorRatePct: undefined, outage: true, procedures: [procedure] }),
  );
  const result: IncidentResult = await handle.result();

  expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
  expect(result.procedures[0]).toMatchObject({ type: 'databaseMigrationRollback', status: 'succeeded' });
  const planned = await entries(handle, 'procedure-planned');
  expect(planned[0]!.message).toContain('20261115000000 -> 20261101000000');
  expect(await schemaVersion(pg, db)).toBe('20261101000000');
  expect(await columns(pg, db, 'orders')).toEqual(['id', 'total_cents']);
});

test('an incident refuses a migration procedure whose input names a bad field, before anything runs', async () => {
  const handle = await h.start(
    p1Input(h.receiver.url, 'orders-db-bad', {
      outage: true,
      errorRatePct: undefined,
      procedures: [{ type: 'databaseMigrationRollback', input: { framework: 'sql', host: 'db' } }],
    }),
  );
  const error = await handle.result().catch((e: unknown) => e);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  expect(cause.message).toContain('procedures[0].input.file: Required');
});
