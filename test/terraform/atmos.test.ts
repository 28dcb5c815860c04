// terraformRevert with `component` and `stack`: the commands are atmos's, as the runbook writes
// them (`atmos terraform plan <component> -s <stack>`), run by the atmos `npm run tools` built.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { TerraformRevertResult } from '../../src/workflows/terraformRevert.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { atmosRepo, git, stateInputs, removeTempDirs } from '../support/terraform.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;

beforeAll(async () => {
  env = await startDevServer();
  ({ worker, taskQueue } = await createTestWorker(env, configFor('http://127.0.0.1:1')));
  running = worker.run();
});
afterAll(async () => {
  removeTempDirs();
  worker?.shutdown();
  await running;
  await env?.teardown();
});

test('atmos: the dry run plans the revert of a stack change, and the pinned apply reverts it', async () => {
  const infra = await atmosRepo();
  expect(stateInputs(infra.stateDir)).toEqual({ 'terraform_data.app': 'v2' });
  const input = { repo: infra.repo, commit: infra.bad, component: 'app', stack: 'prod' };
  const run = async (extra: Record<string, unknown>): Promise<TerraformRevertResult> =>
    (
      await env.client.workflow.start('terraformRevert', {
        args: [{ ...input, ...extra }],
        taskQueue,
        workflowId: `atmos-${process.pid}-${Date.now()}`,
      })
    ).result();

  const dry = await run({ dryRun: true });
  expect(dry.plan).toMatchObject({
    command: 'atmos terraform plan app -s prod',
    summary: { change: 1, changes: [{ address: 'terraform_data.app', actions: ['update'] }] },
  });
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(infra.bad);

  const applied = await run({ pin: dry.pin });
  expect(applied).toMatchObject({ applied: true, verified: true });
  expect(stateInputs(infra.stateDir)).toEqual({ 'terraform_data.app': 'v1' });
  expect(await git(infra.repo, ['status', '--porcelain'])).toBe('');
});
