// Builds the rollback worker: the workflow bundle plus the activities for one task queue.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import { freshPrebuiltBundle } from './workflowBundle.js';
import type { WorkerTuning } from './workerTuning.js';

/** The workflows entry: the .ts source under ts-jest, the compiled .js when run from dist/. */
export function workflowsPath(): string {
  const js = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(js) ? js : ts;
}

export interface RollbackWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Partial<Activities> & Record<string, (...args: never[]) => unknown>;
  /**
   * Defaults to the prebuilt bundle when it is fresh (freshPrebuiltBundle), else the workflows are
   * bundled at start.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Payload encryption (src/codec/); the same keys as the clients', or none. */
  dataConverter?: DataConverter;
  /** Cache size and slots (workerTuningFromEnv); unset: the SDK's defaults. */
  tuning?: WorkerTuning;
}

export async function createRollbackWorker(options: RollbackWorkerOptions): Promise<Worker> {
  const prebuilt = options.workflowBundle ? undefined : await freshPrebuiltBundle();
  const workflowBundle = options.workflowBundle ?? (prebuilt ? { codePath: prebuilt } : undefined);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...options.tuning,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: workflowsPath() }),
  });
}
