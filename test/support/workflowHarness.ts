// A dev server and an in-process worker for procedure tests against the local cluster.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { ensureCluster } from './kubernetes.js';
import { configFor, createTestWorker, startDevServer } from './temporal.js';

export interface Harness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  start(type: string, input: unknown): Promise<WorkflowHandle>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startClusterHarness(awsEndpoint = 'http://127.0.0.1:1'): Promise<Harness> {
  const [{ kubeconfigPath }, env] = await Promise.all([ensureCluster(), startDevServer()]);
  let worker: Worker;
  let taskQueue: string;
  try {
    ({ worker, taskQueue } = await createTestWorker(env, configFor(awsEndpoint, { KUBECONFIG: kubeconfigPath })));
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const running = worker.run();
  return {
    env,
    taskQueue,
    start(type, input) {
      counter += 1;
      return env.client.workflow.start(type, {
        args: [input],
        taskQueue,
        workflowId: `${type}-${process.pid}-${counter}`,
      });
    },
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
