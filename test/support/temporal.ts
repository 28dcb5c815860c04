// Real Temporal servers for tests: the time-skipping test server and the CLI dev server, both
// started from .tools/bin (existing-path), never downloaded.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { dataConverterFromEnv } from '../../src/codec/index.js';
import { loadConfig, type AppConfig } from '../../src/config/env.js';
import { ROLLBACK_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes.js';
import { workflowsPath } from '../../src/worker/createWorker.js';
import { recordHistoriesOf } from './histories.js';
import { toolPath } from './tools.js';

// RECORD_HISTORIES=1 makes each server save the histories of its workflows at teardown (histories.ts).
// With ROLLBACK_CODEC_KEYS (or ROLLBACK_CODEC_KEY_FILE) set, clients and workers encrypt payloads,
// as the project's own processes started by the tests do with the same environment.
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
    client: { dataConverter: dataConverterFromEnv() },
  });
  return recordHistoriesOf(env);
}

export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPath('temporal') },
      searchAttributes: ROLLBACK_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      log: { format: 'pretty', level: 'error' },
    },
    client: { dataConverter: dataConverterFromEnv() },
  });
  return recordHistoriesOf(env);
}

/** Configuration for activities that talk to a moto server. */
export function configFor(awsEndpoint: string, overrides: Partial<NodeJS.ProcessEnv> = {}): AppConfig {
  return loadConfig({ AWS_ENDPOINT_URL: awsEndpoint, AWS_REGION: 'us-east-1', ...overrides });
}

let taskQueueCounter = 0;
export function uniqueTaskQueue(prefix = 'test'): string {
  taskQueueCounter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${taskQueueCounter}`;
}

/** A worker with the project's workflows and real activities, on its own task queue. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  options: Partial<WorkerOptions> = {},
): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = options.taskQueue ?? uniqueTaskQueue();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowsPath: workflowsPath(),
    activities: createActivities(config),
    // As the servers' clients above: test configurations are built from a few variables, not process.env.
    dataConverter: config.dataConverter ?? dataConverterFromEnv(),
    ...options,
    taskQueue,
  });
  return { worker, taskQueue };
}
