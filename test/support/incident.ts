// The incident harness on real servers (time-skipping server, moto, HTTP receiver); the query
// helpers and inputs live in incidentQueries.ts and are re-exported here.
export { elapsed, entries, healthMonitoring, p1Input, status, timeline, waitForPhase } from './incidentQueries.js';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { startHttpReceiver, type HttpReceiver } from './httpReceiver.js';
import { startMoto, type MotoServer } from './moto.js';
import { configFor, createTestWorker, startTimeSkipping } from './temporal.js';

/** One test file's servers: the time-skipping server, moto, an HTTP receiver and a worker. */
export interface IncidentHarness {
  env: TestWorkflowEnvironment;
  moto: MotoServer;
  receiver: HttpReceiver;
  worker: Worker;
  taskQueue: string;
  /** Seeds a fresh Lambda function (3 versions, alias on 3) and returns its name. */
  seedFunction(): Promise<string>;
  start(input: Record<string, unknown>, workflowId?: string): Promise<WorkflowHandle>;
  stop(): Promise<void>;
}

let functions = 0;
let incidents = 0;

/**
 * The worker's named channels (ROLLBACK_CHANNELS), all on the receiver: `slack` (Slack
 * format), `escalation` and `broken` (JSON webhooks), `p3` (a webhook of its own).
 */
export function channelConfig(receiverUrl: string): Record<string, string> {
  return {
    ROLLBACK_CHANNELS: JSON.stringify({
      slack: { type: 'slack', urlEnv: 'TEST_SLACK_URL' },
      escalation: { type: 'webhook', urlEnv: 'TEST_ESCALATION_URL' },
      broken: { type: 'webhook', urlEnv: 'TEST_BROKEN_URL' },
      p3: { type: 'webhook', urlEnv: 'TEST_P3_URL' },
    }),
    TEST_SLACK_URL: `${receiverUrl}/slack`,
    TEST_ESCALATION_URL: `${receiverUrl}/escalation`,
    TEST_BROKEN_URL: `${receiverUrl}/broken`,
    TEST_P3_URL: `${receiverUrl}/p3`,
  };
}

export async function startIncidentHarness(): Promise<IncidentHarness> {
  const [env, moto, receiver] = await Promise.all([startTimeSkipping(), startMoto(), startHttpReceiver()]);
  const { worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint, channelConfig(receiver.url)));
  const running = worker.run();
  return {
    env,
    moto,
    receiver,
    worker,
    taskQueue,
    async seedFunction() {
      functions += 1;
      const name = `checkout-api-${functions}`;
      await seedLambdaFunction(moto, name);
      return name;
    },
    start(input, workflowId) {
      incidents += 1;
      return env.client.workflow.start('incidentRollback', {
        args: [input],
        taskQueue,
        workflowId: workflowId ?? `incident-${incidents}`,
      });
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await Promise.all([env.teardown(), moto.stop(), receiver.close()]);
    },
  };
}

/** Starts the harness before a test file's tests and stops it after them. */
export function useIncidentHarness(started: (harness: IncidentHarness) => void): void {
  let harness: IncidentHarness | undefined;
  beforeAll(async () => {
    harness = await startIncidentHarness();
    started(harness);
  });
  afterAll(async () => {
    await harness?.stop();
  });
}
