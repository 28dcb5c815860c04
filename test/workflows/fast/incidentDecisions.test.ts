// The decision matrix and the people around it, with stubbed activities on the time-skipping
// server (test/support/stubbedIncident.ts): what the incident decided for each severity and
// answer, and which procedure it ran with what. The same paths with a real Lambda in moto and
// real webhooks: test/workflows/incidentRollback.test.ts.
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import {
  abortSignal,
  alertSignal,
  confirmSignal,
  confirmUpdate,
  escalateSignal,
  investigationResultSignal,
  rejectSignal,
} from '../../../src/workflows/incident/messages.js';
import type { IncidentResult } from '../../../src/workflows/incident/types.js';
import { entries, p1Input, status, timeline, waitForPhase } from '../../support/incidentQueries.js';
import { useStubbedIncidentHarness, type StubbedIncidentHarness } from '../../support/stubbedIncident.js';

let h: StubbedIncidentHarness;
useStubbedIncidentHarness((started) => (h = started));

const MIN = 60_000;

/** The alias moves the stubbed Lambda was asked for, for one function. */
const moves = (fn: string) =>
  h
    .called('updateLambdaAlias')
    .filter((r) => r.functionName === fn)
    .map((r) => `${r.fromVersion}->${r.toVersion}`);
const input = (fn: string, extra: Record<string, unknown> = {}) => p1Input('', fn, extra);
const texts = (fn: string, channel = 'slack') => h.notified(channel, fn).map((n) => n.text);

async function failure(handle: { result(): Promise<unknown> }): Promise<ApplicationFailure> {
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

describe('P0: complete outage', () => {
  test('plans with a dry run, applies that plan at once with its pin, announces, and starts the follow-ups', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, outage: true }), `p0-${fn}`);
    const result: IncidentResult = await handle.result();

    expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back', slaBreached: false });
    expect(result.procedures[0]).toMatchObject({ type: 'lambdaAliasRollback', status: 'succeeded' });
    // The plan is a dry-run child that changes nothing; the apply child carries the plan's pin.
    const planId = `p0-${fn}-1-lambdaAliasRollback-plan`;
    const applyId = `p0-${fn}-1-lambdaAliasRollback`;
    expect(h.called('updateLambdaAlias', planId)).toEqual([]);
    expect(h.called('updateLambdaAlias', applyId)).toEqual([
      { functionName: fn, alias: 'production', fromVersion: '3', toVersion: '2' },
    ]);
    expect(h.called('markLambdaRollback', applyId)).toEqual([
      expect.objectContaining({ functionName: fn, fromVersion: '3', by: `p0-${fn}` }),
    ]);
    const slack = texts(fn);
    expect(slack.some((t) => t.startsWith('**🔴 ROLLBACK IN PROGRESS**'))).toBe(true);
    expect(
      slack.some(
        (t) =>
          t.startsWith('**✅ ROLLBACK COMPLETE**') && t.includes(`lambdaAliasRollback ${fn}:production: version 2`),
      ),
    ).toBe(true);
    expect(await entries(handle, 'confirmed')).toHaveLength(0);
    const [followUps] = h.called('startFollowUpsWorkflow', `p0-${fn}`);
    expect(followUps).toMatchObject({
      workflowId: result.followUpsWorkflowId,
      input: { incidentId: `p0-${fn}`, service: fn, environment: 'production', channels: [{ channel: 'slack' }] },
    });
  });

  test('an explicit P3 with an observed outage is a P0 and rolls back', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, severity: 'P3', outage: true }));
    expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    expect((await entries(handle, 'assessed'))[0]?.message).toContain('complete outage (worse than the given P3)');
  });
});

describe('P1, major errors: rollback after confirmation', () => {
  test('waits for confirmation with a 15-minute deadline, then rolls back when confirmed by update', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn));
    const waiting = await waitForPhase(handle, 'awaiting-confirmation');
    expect(waiting).toMatchObject({ severity: 'P1', action: 'rollback-after-confirmation' });
    expect(Date.parse(waiting.deadline!) - Date.parse(waiting.detectedAt)).toBe(15 * MIN);
    expect(waiting.procedures[0]).toMatchObject({
      status: 'planned',
      plan: { from: 'version 3', to: 'version 2', pin: { fromVersion: '3', toVersion: '2' } },
    });
    expect(moves(fn)).toEqual([]);
    const request = h.notified('slack', fn, 'confirmation-request').at(-1)!.text;
    expect(request).toContain(`- lambdaAliasRollback ${fn}:production: version 3 -> version 2`);

    const receipt = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob', notes: 'errors confirmed' }] });
    expect(receipt).toMatchObject({ accepted: true, decision: 'confirmed', by: 'bob' });
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    expect(await entries(handle, 'confirmed')).toEqual([
      expect.objectContaining({ by: 'bob', message: 'rollback confirmed: errors confirmed' }),
    ]);
  });

  test('rejected by signal: closes without a rollback and records who rejected it', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn));
    await waitForPhase(handle, 'awaiting-confirmation');
    await handle.signal(rejectSignal, { by: 'carol', reason: 'a bad canary, not the release' });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected' });
    expect(moves(fn)).toEqual([]);
    expect((await entries(handle, 'rejected'))[0]).toMatchObject({ by: 'carol' });
    expect(h.notified('slack', fn, 'incident-closed')).toHaveLength(1);
  });

  test('no answer, policy "escalate": escalates at the timeout, keeps waiting, then rolls back on confirm', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn));
    await waitForPhase(handle, 'awaiting-confirmation');
    await h.env.sleep(5 * MIN + 1000);
    expect(await entries(handle, 'confirmation-timeout')).toHaveLength(1);
    const escalation = h.notified('escalation', fn, 'escalation')[0];
    expect(escalation?.text).toContain('no confirm or reject within 5 minutes');
    expect((await status(handle)).phase).toBe('awaiting-confirmation');
    expect(moves(fn)).toEqual([]);

    await handle.signal(confirmSignal, { by: 'dave' });
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
  });

  test('no answer, policy "rollback": rolls back at the timeout', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { confirmation: { timeoutMinutes: 3, onTimeout: 'rollback' } }));
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    expect((await entries(handle, 'confirmation-timeout'))[0]?.message).toContain('within 3 minutes: rollback');
  });

  test('no answer, policy "abort": closes as aborted without a rollback', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { confirmation: { onTimeout: 'abort' } }));
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
    expect(moves(fn)).toEqual([]);
  });

  test('an abort by signal while waiting closes "aborted" with who aborted it', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn));
    await waitForPhase(handle, 'awaiting-confirmation');
    await handle.signal(abortSignal, { by: 'ic-alice', reason: 'handled by hand' });
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
    expect(moves(fn)).toEqual([]);
    const closed = h.notified('slack', fn, 'incident-closed')[0]!.text;
    expect(closed).toContain('aborted by ic-alice');
  });

  test('an outage alert during the wait raises it to P0 and rolls back without confirmation', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn));
    await waitForPhase(handle, 'awaiting-confirmation');
    await handle.signal(alertSignal, { outage: true, source: 'pagerduty', summary: 'checkout down' });
    await handle.signal(alertSignal, { errorRatePct: 0.5, source: 'prometheus' });
    expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    const alerts = (await entries(handle, 'alert')).map((e) => e.message);
    expect(alerts[0]).toBe('alert #1 raised the severity to P0: checkout down');
  });
});

describe('approvers', () => {
  test('an approver outside "approvers" is refused with a reason, and the refusal is recorded', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { approvers: ['alice', 'bob'] }));
    await waitForPhase(handle, 'awaiting-confirmation');

    const error = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'mallory' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((error as WorkflowUpdateFailedError).cause?.message).toBe(
      'mallory is not an approver of this incident (approvers: alice, bob)',
    );
    await handle.signal(confirmSignal, { by: 'eve' });
    expect((await entries(handle, 'refused')).map((r) => r.by)).toEqual(['mallory', 'eve']);
    expect((await status(handle)).phase).toBe('awaiting-confirmation');
    expect(moves(fn)).toEqual([]);

    await handle.executeUpdate(confirmUpdate, { args: [{ by: 'alice' }] });
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
  });

  test('the requester cannot confirm their own rollback, and an outage alert pages but does not skip the confirmation', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { requestedBy: 'alice', approvers: ['alice', 'bob'] }));
    await waitForPhase(handle, 'awaiting-confirmation');
    const self = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'alice' }] }).catch((e: unknown) => e);
    expect((self as WorkflowUpdateFailedError).cause?.message).toBe(
      'alice requested this rollback and may not confirm it (allowSelfApproval is false)',
    );
    await handle.signal(escalateSignal, { severity: 'P0', by: 'mallory' });
    await handle.signal(abortSignal, { by: 'mallory' });
    await handle.signal(alertSignal, { outage: true, source: 'pagerduty', summary: 'checkout down' });
    await waitForPhase(handle, 'awaiting-confirmation');
    expect(await status(handle)).toMatchObject({ severity: 'P0', phase: 'awaiting-confirmation' });
    expect(moves(fn)).toEqual([]);
    expect((await entries(handle, 'refused')).map((e) => e.message)).toEqual([
      'confirm refused: alice requested this rollback and may not confirm it (allowSelfApproval is false)',
      'escalate to P0 refused: mallory is not an approver of this incident (approvers: alice, bob)',
      'abort refused: mallory is not an approver of this incident (approvers: alice, bob)',
    ]);
    expect(texts(fn, 'escalation').some((t) => t.includes('severity raised from P1 to P0'))).toBe(true);

    await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
    expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
  });

  test('a confirmation in the wrong phase is refused, and a malformed one is rejected before it is accepted', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
    await waitForPhase(handle, 'awaiting-investigation');
    const wrongPhase = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] }).catch((e: unknown) => e);
    expect((wrongPhase as WorkflowUpdateFailedError).cause?.message).toBe(
      'nothing to be confirmed: the incident is awaiting-investigation, not awaiting-confirmation',
    );
    const malformed = await handle
      .executeUpdate(confirmUpdate, { args: [{ who: 'bob' } as never] })
      .catch((e: unknown) => e);
    expect((malformed as WorkflowUpdateFailedError).cause?.message).toContain('invalid request: by: Required');
    expect((await entries(handle, 'refused')).map((e) => e.by)).toEqual(['bob']);
    await handle.signal(abortSignal, { by: 'ic-alice', reason: 'test over' });
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
    expect(moves(fn)).toEqual([]);
  });
});

describe('P1, latency degradation: rollback after investigation', () => {
  test('waits for the investigation (30-minute deadline) and rolls back when it says so', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
    const waiting = await waitForPhase(handle, 'awaiting-investigation');
    expect(Date.parse(waiting.deadline!) - Date.parse(waiting.detectedAt)).toBe(30 * MIN);
    await handle.signal(investigationResultSignal, { rollback: true, by: 'erin', notes: 'slow query in release 3' });
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    expect((await entries(handle, 'investigation'))[0]).toMatchObject({
      by: 'erin',
      message: 'investigation: roll back: slow query in release 3',
    });
  });

  test('closes without a rollback when the investigation finds another cause', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
    await waitForPhase(handle, 'awaiting-investigation');
    await handle.signal(investigationResultSignal, { rollback: false, by: 'erin', notes: 'a noisy neighbour' });
    expect(await handle.result()).toMatchObject({ outcome: 'investigated-no-rollback' });
    expect(moves(fn)).toEqual([]);
  });

  test('an investigation result from someone who is not an approver is refused', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(
      input(fn, { errorRatePct: undefined, latencyDegradationPct: 80, approvers: ['erin'] }),
    );
    await waitForPhase(handle, 'awaiting-investigation');
    await handle.signal(investigationResultSignal, { rollback: true, by: 'mallory' });
    await handle.signal(investigationResultSignal, { rollback: false, by: 'erin', notes: 'noisy neighbour' });
    expect(await handle.result()).toMatchObject({ outcome: 'investigated-no-rollback' });
    expect((await entries(handle, 'refused'))[0]).toMatchObject({
      by: 'mallory',
      message: 'investigation result refused: mallory is not an approver of this incident (approvers: erin)',
    });
    expect(moves(fn)).toEqual([]);
  });
});

test('P3 is recorded and announced as fix-forward, with no procedures and no rollback', async () => {
  const handle = await h.start({
    service: 'storefront-fast',
    environment: 'production',
    severity: 'P3',
    reason: 'misaligned footer',
    requestedBy: 'frank',
    notify: { channels: [{ channel: 'p3' }] },
  });
  expect(await handle.result()).toMatchObject({ severity: 'P3', outcome: 'fixed-forward', procedures: [] });
  const [closed] = h.notified('p3', 'storefront-fast');
  expect(closed).toMatchObject({ kind: 'incident-closed', service: 'storefront-fast' });
  expect(closed!.text).toContain('fix forward in the next deployment');
  expect(
    h.calls.filter((c) => c.workflowType === 'lambdaAliasRollback' && c.workflowId.includes(handle.workflowId)),
  ).toEqual([]);
});

describe('inputs are checked before anything is announced; a dry run is never a rollback', () => {
  test('a bad input fails at once, non-retryably, naming the field', async () => {
    const handle = await h.start({ service: 'checkout-api', environment: 'production', severity: 'P1', reason: 'x' });
    const cause = await failure(handle);
    expect(cause.type).toBe('InvalidInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toBe('incidentRollback: invalid input: requestedBy: Required');
  });

  test('a bad procedure input fails at once, naming its path, with nothing announced or changed', async () => {
    const { name: fn } = h.lambdaFunction();
    const bad = input(fn, {
      errorRatePct: undefined,
      outage: true,
      procedures: [
        { type: 'lambdaAliasRollback', input: { functionName: fn } },
        { type: 'lambdaAliasRollback', input: { alias: 'production' } },
      ],
    });
    const cause = await failure(await h.start(bad));
    expect(cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(cause.message).toBe('incidentRollback: invalid input: procedures[1].input.functionName: Required');
    expect(texts(fn)).toEqual([]);
    expect(h.called('getLambdaAlias').filter((r) => r.functionName === fn)).toEqual([]);
  });

  test('"dryRun" inside a procedure is refused with a clear message', async () => {
    const { name: fn } = h.lambdaFunction();
    const bad = input(fn, {
      errorRatePct: undefined,
      outage: true,
      procedures: [{ type: 'lambdaAliasRollback', input: { functionName: fn, dryRun: true } }],
    });
    const cause = await failure(await h.start(bad));
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toContain('procedures[0].input.dryRun: not allowed inside an incident');
    expect(texts(fn)).toEqual([]);
  });

  test('an inline URL is refused, and an unknown channel name fails at start naming it', async () => {
    const { name: fn } = h.lambdaFunction();
    const inline = input(fn, {
      notify: { channels: [{ type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET' }] },
    });
    expect((await failure(await h.start(inline))).message).toContain(
      'notify.channels.0: inline channel URLs are credentials and are refused: name a channel configured on the worker instead',
    );
    const unknown = input(fn, { notify: { channels: [{ channel: 'payments-slack' }] } });
    const cause = await failure(await h.start(unknown));
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toBe(
      'incidentRollback: invalid input: notify: channel "payments-slack" is not configured on this worker (ROLLBACK_CHANNELS)',
    );
    expect(moves(fn)).toEqual([]);
  });

  test('an incident-level dryRun plans every procedure, changes nothing and closes "dry-run"', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { errorRatePct: undefined, outage: true, dryRun: true }));
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'dry-run' });
    expect(result.procedures[0]).toMatchObject({ status: 'planned', target: `lambdaAliasRollback ${fn}:production` });
    expect(result.procedures[0]!.plan).toMatchObject({ from: 'version 3', to: 'version 2' });
    expect(result.procedures[0]!.plan?.message).toContain('from version 3 to 2');
    expect(moves(fn)).toEqual([]);
    expect(h.called('markLambdaRollback').filter((r) => r.functionName === fn)).toEqual([]);
    expect(await entries(handle, 'procedure-started')).toHaveLength(0);
    const checklist = (await timeline(handle)).filter((e) => e.message.includes('Rollback command executed'));
    expect(checklist).toHaveLength(0);
  });
});
