// terraformRevert on the dev server with real activities: a real git clone, real OpenTofu plans
// and applies of `terraform_data` resources on a local backend, confirmation by the plan's hash.
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ProcedureStatus } from '../../src/workflows/support/progress.js';
import { confirmPlanUpdate } from '../../src/workflows/support/planConfirmation.js';
import type { PlanForPeople, TerraformRevertResult } from '../../src/workflows/terraformRevert.js';
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import {
  git,
  holdStateLock,
  infraRepo,
  stateInputs,
  stateSerial,
  removeTempDirs,
  tempDir,
} from '../support/terraform.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let taskQueue: string;
let running: Promise<void>;
let runs = 0;

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

function start(input: Record<string, unknown>): Promise<WorkflowHandle> {
  runs += 1;
  return env.client.workflow.start('terraformRevert', {
    args: [input],
    taskQueue,
    workflowId: `terraformRevert-${process.pid}-${runs}`,
  });
}

async function failureOf(handle: WorkflowHandle): Promise<{ type?: string; message: string }> {
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

/** Polls `status` until the workflow waits for confirmPlan; returns the plan it shows. */
async function awaitingPlan(handle: WorkflowHandle): Promise<PlanForPeople> {
  let status: ProcedureStatus | undefined;
  await waitFor(
    'the plan awaiting confirmation',
    async () => {
      status = await handle.query<ProcedureStatus>('status');
      return status.awaitingConfirmation !== undefined;
    },
    90_000,
    200,
  );
  return status!.plan as PlanForPeople;
}

test('dry run plans the revert in a scratch worktree, changes nothing, and pins the plan hash', async () => {
  const infra = await infraRepo();
  const serial = stateSerial(infra.repo);
  const handle = await start({ repo: infra.repo, commit: infra.bad, dryRun: true });
  const result: TerraformRevertResult = await handle.result();

  expect(result).toMatchObject({ dryRun: true, changed: false, verified: false, applied: false, commit: infra.bad });
  expect(result.plan!.summary).toMatchObject({ add: 1, change: 1, destroy: 1, destroys: ['terraform_data.c'] });
  expect(result.message).toContain('Plan: 1 to add, 1 to change, 1 to destroy.');
  expect(result.message).toContain('DESTROYING terraform_data.c');
  expect(result.pin).toEqual({ planHash: result.plan!.hash, commit: infra.bad, head: infra.bad });
  // Nothing moved: HEAD, the work tree, the state; and no scratch worktree is left behind.
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(infra.bad);
  expect(await git(infra.repo, ['status', '--porcelain'])).toBe('');
  expect(stateSerial(infra.repo)).toBe(serial);
  expect((await git(infra.repo, ['worktree', 'list'])).split('\n')).toHaveLength(1);
});

test('reverts, shows the plan with its destroys, refuses a stale hash, applies only the confirmed plan, and a rerun changes nothing', async () => {
  const infra = await infraRepo();
  const handle = await start({ repo: infra.repo, commit: infra.bad, requestedBy: 'sre' });
  const plan = await awaitingPlan(handle);

  // The revert commit is made; nothing is applied before the confirmation.
  expect(await git(infra.repo, ['log', '-1', '--format=%B'])).toContain(`This reverts commit ${infra.bad}.`);
  expect(plan.summary.destroys).toEqual(['terraform_data.c']);
  expect(plan.summary.changes).toEqual(
    expect.arrayContaining([
      { address: 'terraform_data.a', actions: ['update'] },
      { address: 'terraform_data.b', actions: ['create'] },
      { address: 'terraform_data.c', actions: ['delete'] },
    ]),
  );
  const status = await handle.query<ProcedureStatus>('status');
  expect(status.awaitingConfirmation).toContain('DESTROYING terraform_data.c');
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v2', 'terraform_data.c': 'c1' });

  const stale = await handle
    .executeUpdate(confirmPlanUpdate, { args: [{ planHash: 'f'.repeat(64), by: 'bob' }] })
    .catch((e: unknown) => e);
  expect(stale).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((stale as WorkflowUpdateFailedError).cause?.message)).toContain('stale plan hash ffffffffffff');

  const receipt = await handle.executeUpdate(confirmPlanUpdate, { args: [{ planHash: plan.hash, by: 'bob' }] });
  expect(receipt).toEqual({ accepted: true, planHash: plan.hash, by: 'bob' });
  const result: TerraformRevertResult = await handle.result();
  expect(result).toMatchObject({ changed: true, verified: true, applied: true, confirmedBy: 'bob', dryRun: false });
  expect(result.message).toContain('applied "Plan: 1 to add, 1 to change, 1 to destroy."');
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v1', 'terraform_data.b': 'b1' });
  // The natural check, in the verifyRollback child: a new plan of the clone shows no changes.
  expect(result.verification).toMatchObject({
    verdict: 'healthy',
    results: [
      { check: 'terraformPlanClean', target: expect.stringContaining(infra.repo), status: 'passed', readings: 1 },
    ],
  });
  expect(result.message).toMatch(/; verification healthy: 1 of 1 checks passed$/);

  // A second run finds the revert on HEAD and a plan with no changes: no new commit, no apply.
  const head = await git(infra.repo, ['rev-parse', 'HEAD']);
  const again: TerraformRevertResult = await (await start({ repo: infra.repo, commit: infra.bad })).result();
  expect(again).toMatchObject({ changed: false, applied: false, verified: true, revertCommit: head });
  expect(again.verification).toBeUndefined();
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(head);
  expect(infra.provisioned()).toEqual(['b', 'c', 'b']);
});

test('an apply with the dry run pin runs without waiting; a plan that differs from the pin fails TargetChanged', async () => {
  const infra = await infraRepo();
  const dry: TerraformRevertResult = await (
    await start({ repo: infra.repo, commit: infra.bad, dryRun: true })
  ).result();
  const applied: TerraformRevertResult = await (
    await start({ repo: infra.repo, commit: infra.bad, pin: dry.pin })
  ).result();
  expect(applied).toMatchObject({ applied: true, verified: true, confirmedBy: 'the plan pinned by the dry run' });
  expect(applied.plan!.hash).toBe(dry.pin!.planHash);

  const other = await infraRepo();
  const pinned: TerraformRevertResult = await (
    await start({ repo: other.repo, commit: other.bad, dryRun: true })
  ).result();
  // Someone changes the infrastructure code after the plan was approved.
  writeFileSync(path.join(other.repo, 'extra.tf'), 'resource "terraform_data" "d" { input = "d1" }\n');
  await git(other.repo, ['add', 'extra.tf']);
  await git(other.repo, ['commit', '-q', '-m', 'add d']);
  const serial = stateSerial(other.repo);
  const failure = await failureOf(await start({ repo: other.repo, commit: other.bad, pin: pinned.pin }));
  expect(failure.type).toBe('TargetChanged');
  expect(failure.message).toContain('is not the planned one');
  expect(failure.message).toContain('nothing was applied');
  expect(stateSerial(other.repo)).toBe(serial);
});

test('a dirty working tree is refused, naming the files, and nothing is reverted', async () => {
  const infra = await infraRepo();
  writeFileSync(path.join(infra.repo, 'main.tf'), '# edited by hand\n', { flag: 'a' });
  writeFileSync(path.join(infra.repo, 'notes.tf'), '# new\n');
  const failure = await failureOf(await start({ repo: infra.repo, commit: infra.bad }));
  expect(failure.type).toBe('FailedPrecondition');
  expect(failure.message).toContain('M main.tf');
  expect(failure.message).toContain('?? notes.tf');
  expect(failure.message).toContain('nothing was reverted');
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(infra.bad);
});

test('a revert conflict fails naming the files and leaves the clone as it was', async () => {
  const infra = await infraRepo();
  // A later commit edits the same line the bad commit changed.
  await git(infra.repo, ['show', `${infra.bad}:main.tf`]);
  const file = path.join(infra.repo, 'main.tf');
  writeFileSync(file, (await git(infra.repo, ['show', 'HEAD:main.tf'])).replace('"v2"', '"v3"') + '\n');
  await git(infra.repo, ['commit', '-q', '-am', 'a v3']);
  const head = await git(infra.repo, ['rev-parse', 'HEAD']);

  const failure = await failureOf(await start({ repo: infra.repo, commit: infra.bad }));
  expect(failure.type).toBe('Conflict');
  expect(failure.message).toContain('files: main.tf');
  expect(failure.message).toContain('the revert was aborted and nothing changed');
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(head);
  expect(await git(infra.repo, ['status', '--porcelain'])).toBe('');
  expect(existsSync(path.join(infra.repo, '.git', 'REVERT_HEAD'))).toBe(false);
});

test("a held state lock fails the plan with Terraform's own words", async () => {
  const infra = await infraRepo();
  const lock = await holdStateLock(infra.repo, 'terraform_data.a');
  try {
    const failure = await failureOf(await start({ repo: infra.repo, commit: infra.bad, lockTimeoutSeconds: 1 }));
    expect(failure.type).toBe('Conflict');
    expect(failure.message).toContain('Error acquiring the state lock');
    expect(failure.message).toContain('OperationTypeApply');
  } finally {
    await lock.release();
  }
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v2', 'terraform_data.c': 'c1' });
});

test('push: true pushes the revert commit to the remote; bad input names the field', async () => {
  const infra = await infraRepo();
  const remote = tempDir('infra-remote-');
  await git(remote, ['init', '-q', '--bare']);
  await git(infra.repo, ['remote', 'add', 'origin', remote]);
  await git(infra.repo, ['push', '-q', 'origin', 'main']);
  const dry: TerraformRevertResult = await (
    await start({ repo: infra.repo, commit: infra.bad, dryRun: true })
  ).result();
  const result: TerraformRevertResult = await (
    await start({ repo: infra.repo, commit: infra.bad, push: true, pin: dry.pin })
  ).result();
  expect(result.pushed).toBe('origin/main');
  expect(await git(remote, ['rev-parse', 'main'])).toBe(result.revertCommit);

  const bad = await failureOf(await start({ repo: 'relative/path', commit: infra.bad, component: 'app' }));
  expect(bad.type).toBe('InvalidInput');
  expect(bad.message).toContain('repo: must be an absolute path');
  expect(bad.message).toContain('stack: component and stack go together');
});
