// What the restore workflow tests share: the time-skipping server, moto through the slow-RDS
// launcher with a fresh `orders-prod` instance per test, a real PostgreSQL with the runbook's
// verification tables, and a worker with the real activities.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedRdsInstance } from '../../src/demo/seedRds.js';
import { seedVerificationDatabase, startPostgres, type Postgres } from './postgres.js';
import { startSlowRds, type SlowRds } from './slowRds.js';
import { configFor, createTestWorker, startTimeSkipping } from './temporal.js';

/** The variable the worker reads the verification password from (the tests' own process). */
export const VERIFY_PASSWORD_ENV = 'ORDERS_VERIFY_PASSWORD';

export interface RestoreTestbed {
  env: TestWorkflowEnvironment;
  moto: SlowRds;
  pgServer: Postgres;
  taskQueue: string;
  /** moto reset, instant restores, `orders-prod` with the given snapshots. */
  resetRds(snapshots?: string[]): Promise<void>;
  /** The `verify` input: the runbook's row count, at least `minRows`. */
  verify(minRows?: number): object;
  stop(): Promise<void>;
}

export async function startRestoreTestbed(): Promise<RestoreTestbed> {
  const [env, moto, pgServer] = await Promise.all([startTimeSkipping(), startSlowRds(), startPostgres()]);
  await seedVerificationDatabase(pgServer, 'orders');
  process.env[VERIFY_PASSWORD_ENV] = pgServer.password;
  const { worker, taskQueue }: { worker: Worker; taskQueue: string } = await createTestWorker(
    env,
    configFor(moto.endpoint),
  );
  const running = worker.run();
  return {
    env,
    moto,
    pgServer,
    taskQueue,
    async resetRds(snapshots = []) {
      await moto.reset();
      await moto.configure({ seconds: 0, outcome: 'available', restoreResponseDelay: 0 });
      await seedRdsInstance(moto, 'orders-prod', { snapshots });
    },
    verify: (minRows = 1) => ({
      host: pgServer.host,
      port: pgServer.port,
      database: 'orders',
      user: pgServer.user,
      passwordEnv: VERIFY_PASSWORD_ENV,
      queries: [
        { check: 'critical rows', sql: 'SELECT COUNT(*) FROM critical_table', expect: { min: minRows } },
        { check: 'schema version', sql: 'SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1' },
      ],
    }),
    async stop() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), moto.stop(), pgServer.stop()]);
    },
  };
}
