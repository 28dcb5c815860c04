// A worker process killed with SIGKILL in the middle of terraformRevert's apply (while a
// provisioner of the plan runs): the apply goes on detached from the worker, the next worker's
// retry waits for that same apply instead of starting another, and every resource of the plan
// is created exactly once.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProcedureStatus } from '../../src/workflows/support/progress.js';
import { confirmPlanUpdate } from '../../src/workflows/support/planConfirmation.js';
import type { PlanForPeople, TerraformRevertResult } from '../../src/workflows/terraformRevert.js';
import { waitFor } from '../support/ports.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';
import { git, infraRepo, stateInputs, removeTempDirs } from '../support/terraform.js';

let env: TestWorkflowEnvironment;
let workers: WorkerPool | undefined;

beforeAll(async () => {
  env = await startDevServer();
});
afterAll(async () => {
  removeTempDirs();
  await workers?.stopAll('SIGKILL');
  await env?.teardown();
});

test('SIGKILL during apply: the next worker waits for the same apply; nothing is reverted or applied twice', async () => {
  // Creating `b` takes 8 s (its provisioner sleeps), long enough to kill the worker inside it.
  const infra = await infraRepo({ provisionSeconds: 8 });
  const taskQueue = uniqueTaskQueue('tf-crash');
  workers = workerPool({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue });
  const first = workers.start();
  const handle = await env.client.workflow.start('terraformRevert', {
    args: [{ repo: infra.repo, commit: infra.bad }],
    taskQueue,
    workflowId: `tf-crash-${process.pid}`,
  });

  let plan: PlanForPeople | undefined;
  await waitFor(
    'the plan awaiting confirmation',
    async () => {
      const status = await handle.query<ProcedureStatus>('status');
      plan = status.plan as PlanForPeople | undefined;
      return status.awaitingConfirmation !== undefined;
    },
    120_000,
    250,
  );
  await handle.executeUpdate(confirmPlanUpdate, { args: [{ planHash: plan!.hash, by: 'bob' }] });

  // The apply is inside b's provisioner: the log has its line (b, c from setup, then b again).
  await waitFor(
    'the apply to be creating terraform_data.b',
    async () => infra.provisioned().length === 3,
    120_000,
    100,
  );
  expect(await first.kill('SIGKILL')).toBeNull();
  workers.start();

  const result: TerraformRevertResult = await handle.result();
  expect(result).toMatchObject({ applied: true, verified: true, changed: true });
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v1', 'terraform_data.b': 'b1' });
  // Exactly one creation of b by the revert (a second apply would log a fourth line).
  expect(infra.provisioned()).toEqual(['b', 'c', 'b']);
  // One revert commit on top of the bad one.
  expect(await git(infra.repo, ['rev-parse', 'HEAD^'])).toBe(infra.bad);

  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = (name: string) =>
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
  expect(scheduled('gitRevert')).toHaveLength(1);
  expect(scheduled('terraformApply')).toHaveLength(1);
  // The apply activity ran again on the second worker (a retry), and found the apply running.
  const retried = events.filter(
    (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
  );
  expect(retried.length).toBeGreaterThanOrEqual(1);
}, 300_000);
