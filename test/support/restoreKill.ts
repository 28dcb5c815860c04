// Shared setup of the SIGKILL tests: the dev server, moto through the slow-RDS launcher, and the
// compiled worker as a real process that a test can kill and replace.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSlowRds, type SlowRds } from './slowRds.js';
import { workerPool, type RunningProcess } from './processes.js';
import { startDevServer, uniqueTaskQueue } from './temporal.js';
import { waitFor } from './ports.js';

export interface KillHarness {
  env: TestWorkflowEnvironment;
  moto: SlowRds;
  taskQueue: string;
  startWorker(): RunningProcess;
  /** Resolves once moto holds `instanceId`. */
  instanceCreated(instanceId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startKillHarness(): Promise<KillHarness> {
  const [env, moto] = await Promise.all([startDevServer(), startSlowRds()]);
  const taskQueue = uniqueTaskQueue('kill');
  const workers = workerPool({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: moto.endpoint,
  });
  return {
    env,
    moto,
    taskQueue,
    startWorker: () => workers.start(),
    async instanceCreated(instanceId) {
      await waitFor(`instance ${instanceId} in moto`, async () => (await moto.instances()).has(instanceId), 60_000, 20);
    },
    async stop() {
      await workers.stopAll();
      await Promise.all([env.teardown(), moto.stop()]);
    },
  };
}

/** The restored instances moto holds: every instance but the source. */
export async function restoredInstances(moto: SlowRds, sourceInstanceId: string): Promise<string[]> {
  return [...(await moto.instances()).keys()].filter((id) => id !== sourceInstanceId);
}
