// An incident whose procedure is terraformRevert: the incident plans it (a dry run in a scratch
// worktree, the plan's hash pinned), a person confirms the incident, and the apply runs with the
// pin, without a second confirmation, because the fresh plan has the approved hash.
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { confirmUpdate } from '../../src/workflows/incident/messages.js';
import { p1Input, status, useIncidentHarness, waitForPhase, type IncidentHarness } from '../support/incident.js';
import { git, infraRepo, stateInputs, removeTempDirs } from '../support/terraform.js';

let h: IncidentHarness;
useIncidentHarness((started) => (h = started));
afterAll(() => removeTempDirs());

test('P1 incident plans terraformRevert, shows the plan for confirmation, and applies it with the pin', async () => {
  const infra = await infraRepo();
  const handle = await h.start(
    p1Input(h.receiver.url, 'infra', {
      procedures: [{ type: 'terraformRevert', input: { repo: infra.repo, commit: infra.bad } }],
    }),
  );
  const waiting = await waitForPhase(handle, 'awaiting-confirmation');
  const planned = waiting.procedures[0]!;
  expect(planned.plan?.pin).toMatchObject({ commit: infra.bad, planHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(planned.plan?.message).toContain('Plan: 1 to add, 1 to change, 1 to destroy.');
  expect(planned.plan?.message).toContain('DESTROYING terraform_data.c');
  // The plan is a dry run: nothing moved yet.
  expect(await git(infra.repo, ['rev-parse', 'HEAD'])).toBe(infra.bad);

  await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob', notes: 'revert the bad infra change' }] });
  const result: IncidentResult = await handle.result();
  expect(result.procedures[0]).toMatchObject({ type: 'terraformRevert', status: 'succeeded' });
  expect(result.outcome).toBe('rolled-back');
  expect(stateInputs(infra.repo)).toEqual({ 'terraform_data.a': 'v1', 'terraform_data.b': 'b1' });
  expect(await git(infra.repo, ['log', '-1', '--format=%B'])).toContain(`This reverts commit ${infra.bad}.`);
  expect((await status(handle)).procedures[0]!.status).toBe('succeeded');
});
