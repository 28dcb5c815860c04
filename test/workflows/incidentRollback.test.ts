// The decision matrix's paths, each driven on the time-skipping server with real Lambda
// rollbacks in moto and real webhooks: P0, P1 with confirmation (each answer and each
// no-answer policy), P1 after investigation, P3, and refused approvals; and no webhook URL in a
// history. The same paths and the safety rules with stubbed activities: test/workflows/fast/.
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  abortSignal,
  confirmSignal,
  confirmUpdate,
  investigationResultSignal,
  rejectSignal,
} from '../../src/workflows/incident/messages.js';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { aliasVersion } from '../support/aws.js';
import {
  entries,
  healthMonitoring,
  p1Input,
  useIncidentHarness,
  status,
  timeline,
  waitForPhase,
  type IncidentHarness,
} from '../support/incident.js';

let h: IncidentHarness;
useIncidentHarness((started) => (h = started));

const MIN = 60_000;

test('P0 rolls back at once, announces in progress and complete, and leaves the follow-ups running', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, outage: true }));
  const result: IncidentResult = await handle.result();

  expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back', slaBreached: false });
  expect(result.procedures[0]).toMatchObject({ type: 'lambdaAliasRollback', status: 'succeeded' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  const slack = h.receiver.posted<{ text: string }>(`/slack/${fn}`).map((m) => m.text);
  expect(slack.some((t) => t.startsWith('*🔴 ROLLBACK IN PROGRESS*'))).toBe(true);
  expect(
    slack.some(
      (t) => t.startsWith('*✅ ROLLBACK COMPLETE*') && t.includes(`lambdaAliasRollback ${fn}:production: version 2`),
    ),
  ).toBe(true);
  expect(await entries(handle, 'confirmed')).toHaveLength(0);
  const followUps = h.env.client.workflow.getHandle(result.followUpsWorkflowId!);
  expect((await followUps.describe()).status.name).toBe('RUNNING');
});

test('P1 waits for confirmation, then rolls back when confirmed by update', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn));
  const waiting = await waitForPhase(handle, 'awaiting-confirmation');
  expect(waiting).toMatchObject({ severity: 'P1', action: 'rollback-after-confirmation' });
  expect(Date.parse(waiting.deadline!) - Date.parse(waiting.detectedAt)).toBe(15 * MIN);
  expect(await aliasVersion(h.moto, fn)).toBe('3');

  const receipt = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob', notes: 'errors confirmed' }] });
  expect(receipt).toMatchObject({ accepted: true, decision: 'confirmed', by: 'bob' });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  expect(await entries(handle, 'confirmed')).toEqual([
    expect.objectContaining({ by: 'bob', message: 'rollback confirmed: errors confirmed' }),
  ]);
});

test('P1 rejected by signal closes without a rollback and records who rejected it', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn));
  await waitForPhase(handle, 'awaiting-confirmation');
  await handle.signal(rejectSignal, { by: 'carol', reason: 'a bad canary, not the release' });
  expect(await handle.result()).toMatchObject({ outcome: 'rejected' });
  expect(await aliasVersion(h.moto, fn)).toBe('3');
  expect((await entries(handle, 'rejected'))[0]).toMatchObject({ by: 'carol' });
});

test('P1 with no answer and policy "escalate" escalates at the timeout, keeps waiting, then rolls back on confirm', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn));
  await waitForPhase(handle, 'awaiting-confirmation');
  await h.env.sleep(5 * MIN + 1000);
  expect(await entries(handle, 'confirmation-timeout')).toHaveLength(1);
  const escalations = h.receiver.posted<{ kind: string; text: string }>(`/escalation/${fn}`);
  expect(escalations.find((m) => m.kind === 'escalation')?.text).toContain('no confirm or reject within 5 minutes');
  expect((await status(handle)).phase).toBe('awaiting-confirmation');

  await handle.signal(confirmSignal, { by: 'dave' });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
});

test('P1 with no answer and policy "rollback" rolls back at the timeout', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(
    p1Input(h.receiver.url, fn, { confirmation: { timeoutMinutes: 3, onTimeout: 'rollback' } }),
  );
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  expect((await entries(handle, 'confirmation-timeout'))[0]?.message).toContain('within 3 minutes: rollback');
});

test('P1 with no answer and policy "abort" closes as aborted without a rollback', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { confirmation: { onTimeout: 'abort' } }));
  expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
  expect(await aliasVersion(h.moto, fn)).toBe('3');
});

test('an approver outside "approvers" is refused with a reason, and the refusal is recorded', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { approvers: ['alice', 'bob'] }));
  await waitForPhase(handle, 'awaiting-confirmation');

  const error = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'mallory' }] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((error as WorkflowUpdateFailedError).cause?.message).toBe(
    'mallory is not an approver of this incident (approvers: alice, bob)',
  );
  await handle.signal(confirmSignal, { by: 'eve' });
  const refusals = await entries(handle, 'refused');
  expect(refusals.map((r) => r.by)).toEqual(['mallory', 'eve']);
  expect((await status(handle)).phase).toBe('awaiting-confirmation');
  expect(await aliasVersion(h.moto, fn)).toBe('3');

  await handle.executeUpdate(confirmUpdate, { args: [{ by: 'alice' }] });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
});

test('a confirmation in the wrong phase is refused, and a malformed one is rejected before it is accepted', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
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
});

test('P1 latency degradation waits for the investigation, and rolls back when it says so', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
  const waiting = await waitForPhase(handle, 'awaiting-investigation');
  expect(Date.parse(waiting.deadline!) - Date.parse(waiting.detectedAt)).toBe(30 * MIN);
  await handle.signal(investigationResultSignal, { rollback: true, by: 'erin', notes: 'slow query in release 3' });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  expect((await entries(handle, 'investigation'))[0]).toMatchObject({
    by: 'erin',
    message: 'investigation: roll back: slow query in release 3',
  });
});

test('P1 latency degradation closes without a rollback when the investigation finds another cause', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
  await waitForPhase(handle, 'awaiting-investigation');
  await handle.signal(investigationResultSignal, { rollback: false, by: 'erin', notes: 'a noisy neighbour' });
  expect(await handle.result()).toMatchObject({ outcome: 'investigated-no-rollback' });
  expect(await aliasVersion(h.moto, fn)).toBe('3');
});

test('P3 is recorded and announced as fix-forward, with no procedures and no rollback', async () => {
  const handle = await h.start({
    service: 'storefront',
    environment: 'production',
    severity: 'P3',
    reason: 'misaligned footer',
    requestedBy: 'frank',
    notify: { channels: [{ channel: 'p3' }] },
  });
  expect(await handle.result()).toMatchObject({ severity: 'P3', outcome: 'fixed-forward', procedures: [] });
  const [closed] = h.receiver.posted<{ kind: string; text: string }>('/p3');
  expect(closed).toMatchObject({ kind: 'incident-closed', service: 'storefront' });
  expect(closed!.text).toContain('fix forward in the next deployment');
});

test('an alert of an outage during a P1 wait raises it to P0 and rolls back without confirmation', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn));
  await waitForPhase(handle, 'awaiting-confirmation');
  await handle.signal('alert', { outage: true, source: 'pagerduty', summary: 'checkout down' });
  await handle.signal('alert', { errorRatePct: 0.5, source: 'prometheus' });
  expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
  const alerts = (await entries(handle, 'alert')).map((e) => e.message);
  expect(alerts[0]).toBe('alert #1 raised the severity to P0: checkout down');
});

test('a procedure that cannot be planned fails the incident with its reason, changes nothing and pages', async () => {
  const handle = await h.start(
    p1Input(h.receiver.url, 'no-such-function', { errorRatePct: undefined, outage: true }),
    'incident-failing-procedure',
  );
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('PlanFailed');
  expect(cause.message).toContain(
    'no rollback: lambdaAliasRollback no-such-function:production (workflow incident-failing-procedure-1-lambdaAliasRollback-plan) could not be planned',
  );
  expect(cause.message).toContain('"no-such-function"');
  expect((await status(handle)).phase).toBe('plan-failed');
  expect(await entries(handle, 'procedure-started')).toHaveLength(0);
  const paged = h.receiver
    .posted<{ kind: string }>('/escalation/no-such-function')
    .filter((m) => m.kind === 'rollback-failed');
  expect(paged).toHaveLength(1);
});

test('a notification channel that keeps failing is recorded and never fails the rollback', async () => {
  const fn = await h.seedFunction();
  h.receiver.answer('/broken', 500);
  const input = p1Input(h.receiver.url, fn, { errorRatePct: undefined, outage: true });
  input.notify.channels.push({ channel: 'broken' });
  const handle = await h.start(input);
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  const failed = await entries(handle, 'notification-failed');
  expect(failed.map((e) => e.message)).toContain(
    `rollback-in-progress to channel "broken" failed: notify: webhook channel "broken" answered HTTP 500 ({"ok":true})`,
  );
  expect(h.receiver.posted(`/broken/${fn}`).length).toBeGreaterThanOrEqual(5);
});

test('a bad input fails at once, non-retryably, naming the field', async () => {
  const handle = await h.start({ service: 'checkout-api', environment: 'production', severity: 'P1', reason: 'x' });
  const error = await handle.result().catch((e: unknown) => e);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('InvalidInput');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toBe('incidentRollback: invalid input: requestedBy: Required');
});

// Moved from incidentGuards.test.ts (its other tests run with stubbed activities in
// test/workflows/fast/): only a worker with real channels configured can show that no URL leaks.
async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

describe('defect 10: no webhook URL in inputs, histories, results or timelines', () => {
  test("a whole incident's history, decoded payload by payload, never holds a channel URL", async () => {
    const fn = await h.seedFunction();
    h.receiver.setErrorRatio(0.001);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        outage: true,
        monitoring: healthMonitoring(h.receiver.url),
      }),
    );
    const result = await handle.result();
    expect(h.receiver.posted(`/slack/${fn}`).length).toBeGreaterThan(0);
    const history = await handle.fetchHistory();
    const decoded: string[] = [];
    const visit = (node: unknown): void => {
      if (node instanceof Uint8Array) decoded.push(Buffer.from(node).toString('utf8'));
      else if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') Object.values(node).forEach(visit);
      else if (typeof node === 'string') decoded.push(node);
    };
    visit(history);
    const everything = [decoded.join('\n'), JSON.stringify(result), JSON.stringify(await timeline(handle))].join('\n');
    expect(everything).toContain('slack'); // the channel's name is there...
    for (const path of ['/slack', '/escalation']) expect(everything).not.toContain(`${h.receiver.url}${path}`);
  });

  test('an inline URL is refused, and an unknown channel name fails at start naming it', async () => {
    const fn = await h.seedFunction();
    const inline = p1Input(h.receiver.url, fn, {
      notify: { channels: [{ type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET' }] },
    });
    expect((await failure((await h.start(inline)).result())).message).toContain(
      'notify.channels.0: inline channel URLs are credentials and are refused: name a channel configured on the worker instead',
    );
    const unknown = p1Input(h.receiver.url, fn, { notify: { channels: [{ channel: 'payments-slack' }] } });
    const cause = await failure((await h.start(unknown)).result());
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toBe(
      'incidentRollback: invalid input: notify: channel "payments-slack" is not configured on this worker (ROLLBACK_CHANNELS)',
    );
    expect(await aliasVersion(h.moto, fn)).toBe('3');
  });
});
