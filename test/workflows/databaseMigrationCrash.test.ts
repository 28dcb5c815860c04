// A worker SIGKILLed while `manage.py migrate` unapplies Django migrations: the orphaned command
// goes on, the retry on the next worker waits for it (its connections carry the rollback's
// application_name), finds nothing left to unapply, and every migration was unapplied once.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DB_PASSWORD_ENV,
  appliedDjango,
  connection,
  djangoDatabase,
  djangoProject,
  unapplyLog,
} from '../support/migrations.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let env: TestWorkflowEnvironment;
let pg: Postgres;
let workers: WorkerPool | undefined;

beforeAll(async () => {
  [env, pg] = await Promise.all([startDevServer(), startPostgres()]);
});
afterAll(async () => {
  await workers?.stopAll('SIGKILL');
  await Promise.all([env?.teardown(), pg?.stop()]);
});

test('SIGKILL mid-unapply: the next worker finishes the rollback and nothing is unapplied twice', async () => {
  const db = await djangoDatabase(pg);
  // Each unapply pauses 15 s inside its transaction: long enough to kill the worker in it.
  await pg.query(`ALTER DATABASE ${db} SET fixture.unapply_delay_seconds = '15'`);

  const taskQueue = uniqueTaskQueue('migration-crash');
  workers = workerPool({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    [DB_PASSWORD_ENV]: pg.password,
  });
  const first = workers.start();
  const handle = await env.client.workflow.start('databaseMigrationRollback', {
    args: [
      {
        framework: 'django',
        app: 'shop',
        toMigration: '0001',
        workingDirectory: djangoProject,
        python: toolPath('python'),
        trial: false,
        ...connection(pg, db),
      },
    ],
    taskQueue,
    workflowId: `migration-crash-${db}`,
  });

  await waitFor(
    'manage.py migrate to be unapplying 0003',
    async () => {
      const { rows } = await pg.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'rollback-orchestrator:django:%' AND query LIKE '%pg_sleep%'",
      );
      return (rows[0] as { n: number }).n > 0;
    },
    120_000,
    200,
  );
  expect(await first.kill('SIGKILL')).toBeNull();

  workers.start();
  const result = await handle.result();

  expect(result).toMatchObject({
    verified: true,
    changed: true,
    from: 'shop.0003_order_discount',
    to: 'shop.0001_initial',
  });
  expect(await appliedDjango(pg, db)).toEqual(['0001_initial']);
  // One unapply of each migration: a second would have written a second row (or failed).
  expect(await unapplyLog(pg, db)).toEqual(['0003_order_discount', '0002_order_status']);
  const events = (await handle.fetchHistory()).events ?? [];
  const applies = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyMigrationRollback',
  );
  expect(applies).toHaveLength(1);
  const retried = events.filter(
    (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1,
  );
  expect(retried.length).toBeGreaterThanOrEqual(1);
}, 240_000);
