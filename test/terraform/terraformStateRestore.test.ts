// terraformStateRestore on the dev server with real OpenTofu state: backups listed and compared,
// the restore confirmed by its hash, `state push` as the next serial (a copy of the replaced
// state kept), a plan of what is left to reconcile, and a backup of another lineage refused.
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcedureStatus } from '../../src/workflows/support/progress.js';
import { confirmPlanUpdate } from '../../src/workflows/support/planConfirmation.js';
import type { TerraformStateRestoreResult } from '../../src/workflows/terraformStateRestore.js';
import { waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { applyHere, holdStateLock, stateDir, stateInputs, stateSerial, removeTempDirs } from '../support/terraform.js';

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
  return env.client.workflow.start('terraformStateRestore', {
    args: [input],
    taskQueue,
    workflowId: `terraformStateRestore-${process.pid}-${runs}`,
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

const lineage = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { lineage: string }).lineage;

test('dry run lists the backups and shows the difference without touching the state', async () => {
  const dir = await stateDir();
  copyFileSync(
    path.join(dir, 'terraform.tfstate.backup'),
    path.join(dir, 'backups', 'terraform.tfstate.2026-11-20T10-00.backup'),
  );
  const serial = stateSerial(dir);
  const result: TerraformStateRestoreResult = await (
    await start({ workingDir: dir, backup: 'terraform.tfstate.backup', dryRun: true })
  ).result();
  expect(result).toMatchObject({ dryRun: true, changed: false });
  expect(result.diff).toMatchObject({
    added: ['terraform_data.b'],
    removed: ['terraform_data.c'],
    changed: ['terraform_data.a'],
    lineage: { same: true },
  });
  expect(result.diff.serial.backup).toBeLessThan(result.diff.serial.current);
  expect(result.message).toContain('puts back terraform_data.b; drops terraform_data.c; changes terraform_data.a');
  expect(result.pin!.planHash).toMatch(/^[0-9a-f]{64}$/);
  expect(stateSerial(dir)).toBe(serial);
});

test('restore waits for confirmPlan of its hash, pushes the backup as the next serial, keeps the replaced state, and plans the rest', async () => {
  const dir = await stateDir();
  const before = stateSerial(dir);
  const handle = await start({ workingDir: dir, backup: 'terraform.tfstate.backup' });
  let status: ProcedureStatus | undefined;
  await waitFor(
    'the restore awaiting confirmation',
    async () => {
      status = await handle.query<ProcedureStatus>('status');
      return status.awaitingConfirmation !== undefined;
    },
    60_000,
    200,
  );
  const plan = status!.plan as { hash: string; backups: { path: string }[] };
  expect(plan.backups.map((b) => path.basename(b.path))).toContain('terraform.tfstate.backup');
  const stale = await handle
    .executeUpdate(confirmPlanUpdate, { args: [{ planHash: '0'.repeat(64), by: 'bob' }] })
    .catch((e: unknown) => e);
  expect(stale).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(stateSerial(dir)).toBe(before);

  await handle.executeUpdate(confirmPlanUpdate, { args: [{ planHash: plan.hash, by: 'bob' }] });
  const result: TerraformStateRestoreResult = await handle.result();
  expect(result).toMatchObject({ changed: true, verified: true, confirmedBy: 'bob' });
  const restoredSerial = stateSerial(dir);
  expect(restoredSerial).toBeGreaterThan(before);
  expect(stateInputs(dir)).toEqual({ 'terraform_data.a': 'v1', 'terraform_data.b': 'b1' });
  // The replaced state is kept; the config still says v2 with c, so the plan shows what is left.
  expect(existsSync(result.savedCopy!)).toBe(true);
  expect((JSON.parse(readFileSync(result.savedCopy!, 'utf8')) as { serial: number }).serial).toBe(before);
  expect(result.reconcile).toMatchObject({ add: 1, change: 1, destroy: 1, destroys: ['terraform_data.b'] });

  // The push wrote the replaced state into terraform.tfstate.backup, as every state write does.
  expect(stateInputs(dir, 'terraform.tfstate.backup')).toEqual({ 'terraform_data.a': 'v2', 'terraform_data.c': 'c1' });
  // Run again with the same backup content (kept under its hash): nothing is pushed.
  const source = readdirSync(path.join(dir, 'backups')).find((f) => f.startsWith('restore-source-'))!;
  const again: TerraformStateRestoreResult = await (
    await start({ workingDir: dir, backup: `backups/${source}` })
  ).result();
  expect(again).toMatchObject({ changed: false, confirmedBy: 'nobody (nothing to push)' });
  expect(stateSerial(dir)).toBe(restoredSerial);
});

test('a backup of another lineage is refused unless allowLineageChange, then pushed with -force', async () => {
  const dir = await stateDir();
  const other = await stateDir();
  copyFileSync(path.join(other, 'terraform.tfstate.backup'), path.join(dir, 'backups', 'other.tfstate'));
  const refused = await failureOf(await start({ workingDir: dir, backup: 'backups/other.tfstate' }));
  expect(refused.type).toBe('FailedPrecondition');
  expect(refused.message).toContain('allowLineageChange');

  const dry: TerraformStateRestoreResult = await (
    await start({ workingDir: dir, backup: 'backups/other.tfstate', allowLineageChange: true, dryRun: true })
  ).result();
  const result: TerraformStateRestoreResult = await (
    await start({ workingDir: dir, backup: 'backups/other.tfstate', allowLineageChange: true, pin: dry.pin })
  ).result();
  expect(result.message).toContain('-force: other lineage');
  expect(lineage(path.join(dir, 'terraform.tfstate'))).toBe(lineage(path.join(other, 'terraform.tfstate')));
});

test('a pin made before the state changed fails TargetChanged; a missing backup names the ones there; a held lock is reported', async () => {
  const dir = await stateDir();
  const dry: TerraformStateRestoreResult = await (
    await start({ workingDir: dir, backup: 'terraform.tfstate.backup', dryRun: true })
  ).result();
  const lock = await holdStateLock(dir, 'terraform_data.a');
  try {
    const locked = await failureOf(
      await start({ workingDir: dir, backup: 'terraform.tfstate.backup', pin: dry.pin, lockTimeoutSeconds: 1 }),
    );
    expect(locked.type).toBe('Conflict');
    expect(locked.message).toContain('Error acquiring the state lock');
  } finally {
    await lock.release();
  }
  // The state moves on (a new apply), so the pinned restore no longer holds.
  writeFileSync(path.join(dir, 'main.tf'), 'resource "terraform_data" "a" { input = "v3" }\n');
  await applyHere(dir);
  const changed = await failureOf(await start({ workingDir: dir, backup: 'terraform.tfstate.backup', pin: dry.pin }));
  expect(changed.type).toBe('TargetChanged');

  const missing = await failureOf(await start({ workingDir: dir, backup: 'nope.tfstate' }));
  expect(missing.type).toBe('NotFound');
  expect(missing.message).toContain('terraform.tfstate.backup');
});
