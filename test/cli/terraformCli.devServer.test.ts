// terraformRevert from the compiled rollbackctl (issue 11: each procedure runs from the CLI, dry
// run and for real), on a real git clone with OpenTofu and a local backend: the dry run shows the
// plan and its pin and leaves HEAD, the work tree and the state alone; the run with the pin
// reverts and applies without waiting for confirmPlan.
import type { TerraformRevertResult } from '../../src/workflows/terraformRevert.js';
import { runProcedure, startCliServer, type CliServer } from '../support/ctl.js';
import { configFor } from '../support/temporal.js';
import { git, infraRepo, removeTempDirs, stateInputs, stateSerial } from '../support/terraform.js';

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(configFor('http://127.0.0.1:1'));
});
afterAll(async () => {
  removeTempDirs();
  await server?.stop();
});

test('rollbackctl runs terraformRevert: a dry run changes nothing and shows the plan, the pinned run reverts and applies', async () => {
  const infra = await infraRepo();
  const serial = stateSerial(infra.repo);
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v2', 'terraform_data.c': 'c1' });
  const id = `terraform-cli-${process.pid}`;

  const dry = await runProcedure<TerraformRevertResult>(server.ctl, 'terraformRevert', `${id}-dry`, {
    repo: infra.repo,
    commit: infra.bad,
    dryRun: true,
  });
  const plan = dry.status.result!.plan!;
  expect(dry.status.result).toMatchObject({ dryRun: true, changed: false, applied: false, commit: infra.bad });
  expect(plan.summary).toMatchObject({ add: 1, change: 1, destroy: 1, destroys: ['terraform_data.c'] });
  expect(dry.status.result!.pin).toEqual({ planHash: plan.hash, commit: infra.bad, head: infra.bad });
  expect(dry.status.result!.message).toContain('would apply "Plan: 1 to add, 1 to change, 1 to destroy."');
  // The status query shows the same plan.
  expect(dry.status.plan).toMatchObject({ hash: plan.hash, summary: { destroys: ['terraform_data.c'] } });
  expect(dry.text).toContain('DESTROYING terraform_data.c');
  expect(dry.text).toContain(`"planHash":"${plan.hash}"`);
  // Nothing moved: HEAD, the work tree, the state, and no scratch worktree left.
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(infra.bad);
  expect(await git(infra.repo, ['status', '--porcelain'])).toBe('');
  expect(stateSerial(infra.repo)).toBe(serial);
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v2', 'terraform_data.c': 'c1' });
  expect((await git(infra.repo, ['worktree', 'list'])).split('\n')).toHaveLength(1);

  // No confirmPlan is sent: the pin's hash is the confirmation, so watch ends by itself.
  const real = await runProcedure<TerraformRevertResult>(server.ctl, 'terraformRevert', `${id}-apply`, {
    repo: infra.repo,
    commit: infra.bad,
    pin: dry.status.result!.pin,
  });
  expect(real.status.result).toMatchObject({
    dryRun: false,
    changed: true,
    applied: true,
    verified: true,
    confirmedBy: 'the plan pinned by the dry run',
  });
  expect(real.status.result!.plan!.hash).toBe(plan.hash);
  expect(real.status.completed.map((c) => c.step)).toEqual(
    expect.arrayContaining(['git revert', 'plan', 'apply', 'verify']),
  );
  // git and the state: a revert commit on top of the bad one, and the good config applied.
  expect(await git(infra.repo, ['rev-parse', 'HEAD~1'])).toBe(infra.bad);
  expect(await git(infra.repo, ['log', '-1', '--format=%B'])).toContain(`This reverts commit ${infra.bad}.`);
  expect(real.status.result!.revertCommit).toBe(await git(infra.repo, ['rev-parse', 'HEAD']));
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v1', 'terraform_data.b': 'b1' });
  expect(stateSerial(infra.repo)).toBeGreaterThan(serial);
  expect(infra.provisioned()).toEqual(['b', 'c', 'b']);
});
