// The incident's state and its methods (src/domain/incident/state.ts), pure, with a clock the
// test moves: the workflow's paths as sequences of transitions, the rules on people's input,
// and the phase table guarding every phase change.
import type { NotificationKind } from '../../src/domain/incident/notifications.js';
import { IllegalTransition, type Phase } from '../../src/domain/incident/phases.js';
import { IncidentState, SELF } from '../../src/domain/incident/state.js';
import type { TimelineKind } from '../../src/domain/incident/timeline.js';
import {
  classifyIncident,
  incidentRollbackInput,
  type NotificationChannel,
} from '../../src/domain/schemas/incidentRollback.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** The state with its hooks observed: what the workflow would notify and upsert. */
class ObservedIncident extends IncidentState {
  readonly sent: { kind: NotificationKind; to: string[] }[] = [];
  readonly phases: Phase[] = [];
  readonly severities: string[] = [];
  breachMarks = 0;

  protected override notify(
    kind: NotificationKind,
    _text: string,
    channels: NotificationChannel[],
    onDelivered?: () => void,
  ) {
    this.sent.push({ kind, to: channels.map((c) => (c as { channel: string }).channel) });
    onDelivered?.();
  }
  protected override phaseEntered(phase: Phase) {
    this.phases.push(phase);
  }
  protected override severityRaised(severity: string) {
    this.severities.push(severity);
  }
  protected override slaBreachMarked() {
    this.breachMarks += 1;
  }
  kinds(kind: TimelineKind): string[] {
    return this.timeline.filter((e) => e.kind === kind).map((e) => e.message);
  }
}

let now = T0;

function incident(extra: Record<string, unknown> = {}): ObservedIncident {
  now = T0;
  const input = incidentRollbackInput.parse({
    service: 'checkout-api',
    environment: 'production',
    errorRatePct: 12,
    procedures: [{ type: 'lambdaAliasRollback', input: { functionName: 'checkout-api' } }],
    reason: 'errors after release 3',
    requestedBy: 'alertmanager',
    incidentCommander: 'ic-alice',
    notify: { channels: [{ channel: 'slack' }], escalation: [{ channel: 'pager' }] },
    ...extra,
  });
  const state = new ObservedIncident(input, {
    id: 'rollback-production-checkout-api',
    startedAtMs: T0,
    now: () => now,
  });
  state.assess();
  return state;
}

test('assessing starts the deadline, ticks the assessment and the commander, and names the procedure runs', () => {
  const i = incident();
  expect(i.status()).toMatchObject({
    phase: 'assessing',
    severity: 'P1',
    action: 'rollback-after-confirmation',
    deadline: new Date(T0 + 15 * MIN).toISOString(),
    timeLeftMs: 15 * MIN,
    incidentCommander: 'ic-alice',
    procedures: [{ workflowId: 'rollback-production-checkout-api-1-lambdaAliasRollback', status: 'pending' }],
    expiresAt: new Date(T0 + 24 * 60 * MIN).toISOString(),
  });
  expect(i.checklist.filter((c) => c.done).map((c) => [c.id, c.by])).toEqual([
    ['severity-assessed', SELF],
    ['commander-assigned', 'alertmanager'],
  ]);
  expect(i.kinds('assessed')).toEqual(['P1 (errors 12% > 5%): rollback-after-confirmation']);
});

test('P1 confirmed: awaiting confirmation, confirmed, rolled back, with every phase recorded and upserted', () => {
  const i = incident({ approvers: ['bob'] });
  i.awaitConfirmation('waiting for confirm or reject');
  now += 2 * MIN;
  expect(i.decide('confirmed', { by: 'bob', notes: 'errors confirmed' })).toEqual({
    accepted: { accepted: true, decision: 'confirmed', by: 'bob', phase: 'awaiting-confirmation' },
  });
  expect(i.approval).toEqual({ decision: 'confirmed', by: 'bob', notes: 'errors confirmed' });
  i.startRollback('starting the rollback procedures');
  expect(i.rollbackStartedMs).toBe(now);
  i.procedureStarted(0);
  now += MIN;
  i.procedureSucceeded(0, { message: 'alias live -> 2', to: 'version 2', verified: true });
  i.proceduresFinished();
  i.recordVerification({ verdict: 'healthy', detail: '3 readings in a row' });
  i.followUpsStarted('rollback-production-checkout-api-follow-ups-r1');
  i.close('rolled-back', 'rollback complete');

  expect(i.phases).toEqual(['awaiting-confirmation', 'rolling-back', 'rolled-back']);
  expect(i.kinds('phase')).toEqual([
    'assessing -> awaiting-confirmation: waiting for confirm or reject',
    'awaiting-confirmation -> rolling-back: starting the rollback procedures',
    'rolling-back -> rolled-back: rollback complete',
  ]);
  expect(i.procedures[0]).toMatchObject({
    status: 'succeeded',
    startedAt: new Date(T0 + 2 * MIN).toISOString(),
    finishedAt: new Date(T0 + 3 * MIN).toISOString(),
  });
  expect(i.rollbackFinishedMs).toBe(T0 + 3 * MIN);
  expect(i.closed).toBe(true);
  expect(i.status()).toMatchObject({
    phase: 'rolled-back',
    followUpsWorkflowId: 'rollback-production-checkout-api-follow-ups-r1',
    verification: { verdict: 'healthy' },
  });
  expect(i.checklist.find((c) => c.id === 'progress-monitored')?.done).toBe(true);
});

test('a phase change the table forbids throws IllegalTransition and changes nothing', () => {
  const i = incident();
  i.startRollback('starting');
  const before = i.timeline.length;
  expect(() => i.close('aborted', 'too late')).toThrow(IllegalTransition);
  expect(() => i.awaitConfirmation('again')).toThrow('illegal phase transition rolling-back -> awaiting-confirmation');
  expect(i.phase).toBe('rolling-back');
  expect(i.currentStep).toBe('starting');
  expect(i.timeline).toHaveLength(before);
  i.close('rollback-failed', 'procedure failed');
  expect(() => i.close('rollback-failed', 'twice')).toThrow(IllegalTransition);
});

test('re-entering awaiting confirmation forgets an answer given to the earlier wait', () => {
  const i = incident();
  i.awaitConfirmation('first wait');
  i.decide('rejected', { by: 'bob', reason: 'not yet' });
  expect(i.approval?.decision).toBe('rejected');
  i.awaitConfirmation('after a raise');
  expect(i.approval).toBeUndefined();
  expect(i.kinds('phase')).toHaveLength(1);
  expect(i.phases).toEqual(['awaiting-confirmation', 'awaiting-confirmation']);
  expect(i.currentStep).toBe('after a raise');
});

test('a confirm is refused outside the wait, from a non-approver, and from the requester', () => {
  const i = incident({ approvers: ['bob', 'alertmanager'] });
  expect(i.decide('confirmed', { by: 'bob' })).toEqual({
    refused: 'nothing to be confirmed: the incident is assessing, not awaiting-confirmation',
  });
  i.awaitConfirmation('waiting');
  expect(i.decide('confirmed', { by: 'mallory' })).toEqual({
    refused: 'mallory is not an approver of this incident (approvers: bob, alertmanager)',
  });
  expect(i.decide('confirmed', { by: 'alertmanager' })).toEqual({
    refused: 'alertmanager requested this rollback and may not confirm it (allowSelfApproval is false)',
  });
  // The requester may still reject.
  expect(i.decide('rejected', { by: 'alertmanager', reason: 'false alarm' })).toMatchObject({
    accepted: { decision: 'rejected' },
  });
  expect(i.kinds('refused')).toEqual([
    'confirm refused: nothing to be confirmed: the incident is assessing, not awaiting-confirmation',
    'confirm refused: mallory is not an approver of this incident (approvers: bob, alertmanager)',
    'confirm refused: alertmanager requested this rollback and may not confirm it (allowSelfApproval is false)',
  ]);
  expect(i.kinds('rejected')).toEqual(['rollback rejected: false alarm']);
});

test('abort is taken while waiting and refused once the rollback runs', () => {
  const waiting = incident();
  waiting.awaitConfirmation('waiting');
  waiting.abort({ by: 'bob', reason: 'wrong service' });
  expect(waiting.abortedBy).toBe('bob');
  expect(waiting.kinds('aborted')).toEqual(['incident aborted: wrong service']);

  const running = incident();
  running.startRollback('running');
  running.abort({ by: 'bob' });
  expect(running.abortedBy).toBeUndefined();
  expect(running.kinds('refused')).toEqual(['abort refused: the incident is rolling-back']);
});

test('an investigation result counts only while awaiting one, and only from an approver', () => {
  const i = incident({ errorRatePct: undefined, latencyDegradationPct: 80, approvers: ['bob'] });
  i.reportInvestigation({ rollback: true, by: 'bob' });
  i.awaitInvestigation('waiting for investigationResult');
  i.reportInvestigation({ rollback: true, by: 'eve' });
  expect(i.investigation).toBeUndefined();
  i.reportInvestigation({ rollback: false, by: 'bob', notes: 'a slow dependency' });
  expect(i.investigation).toEqual({ rollback: false, by: 'bob', notes: 'a slow dependency' });
  expect(i.kinds('refused')).toEqual([
    'investigation result refused: the incident is assessing',
    'investigation result refused: eve is not an approver of this incident (approvers: bob)',
  ]);
});

test('a raise re-arms the deadline from now, pages, and with approvers an alert to P0 still needs a person', () => {
  const i = incident({ approvers: ['bob'] });
  const revision = i.revision;
  now += 4 * MIN;
  expect(i.raise(classifyIncident({ errorRatePct: 3 }), 'alert', 'milder')).toBe(false);
  expect(i.raise(classifyIncident({ outage: true }), 'alert', 'alert #2')).toBe(true);
  expect(i.revision).toBe(revision + 1);
  expect(i.severity).toBe('P0');
  expect(i.needsPerson).toBe(true);
  expect(i.sla).toEqual({ fromMs: T0 + 4 * MIN, deadlineMs: T0 + 9 * MIN, enforced: true });
  expect(i.severities).toEqual(['P0']);
  expect(i.sent).toEqual([{ kind: 'escalation', to: ['pager'] }]);

  const byApprover = incident({ approvers: ['bob'] });
  byApprover.escalateSeverity({ severity: 'P0', by: 'bob' });
  expect(byApprover.severity).toBe('P0');
  expect(byApprover.needsPerson).toBe(false);
});

test('an escalation to a milder severity, or by a non-approver, is recorded and changes nothing', () => {
  const i = incident({ approvers: ['bob'] });
  i.escalateSeverity({ severity: 'P2', by: 'bob' });
  i.escalateSeverity({ severity: 'P0', by: 'eve' });
  expect(i.severity).toBe('P1');
  expect(i.kinds('ignored')).toEqual(['escalate to P2 ignored: the incident is P1, assessing']);
  expect(i.kinds('refused')).toEqual([
    'escalate to P0 refused: eve is not an approver of this incident (approvers: bob)',
  ]);
});

test('alerts are counted; a repeat records, a worse one raises, a milder one never lowers', () => {
  const i = incident();
  i.alert({});
  i.alert({ errorRatePct: 0.5, summary: 'better' });
  i.alert({ outage: true, source: 'alertmanager' });
  expect(i.status().alerts).toBe(3);
  expect(i.severity).toBe('P0');
  expect(i.kinds('alert')).toEqual([
    'alert #1 (repeat, P1)',
    'alert #2 suggests P2; severity stays P1 (never lowered automatically): better',
    'alert #3 raised the severity to P0',
  ]);
  i.alertResolved({ summary: 'recovered' });
  expect(i.alertsResolved).toBe(1);
});

test('a refire finding holds the rollback for a person and pages; an investigation "roll back" then asks for a confirmation', () => {
  const i = incident({ errorRatePct: undefined, latencyDegradationPct: 80 });
  i.guardRefire(undefined);
  expect(i.needsPerson).toBe(false);
  i.guardRefire('lambdaAliasRollback checkout-api was rolled back at 09:50, still failing');
  expect(i.needsPerson).toBe(true);
  expect(i.sent.map((s) => s.kind)).toEqual(['escalation']);
  i.awaitInvestigation('waiting for investigationResult');
  i.requireConfirmation();
  expect(i.action).toBe('rollback-after-confirmation');
  i.awaitConfirmation('waiting for confirm or reject');
  expect(i.phase).toBe('awaiting-confirmation');
});

test('SLA: the warning goes to the channels, each breach marks SlaBreached and pages the escalation channels', () => {
  const i = incident();
  i.awaitConfirmation('waiting');
  now = T0 + 12 * MIN;
  i.warnSla(i.sla!.deadlineMs);
  now = T0 + 15 * MIN;
  i.breachSla(i.sla!.deadlineMs, 1);
  i.breachSla(i.sla!.deadlineMs, 2);
  expect(i.status()).toMatchObject({ slaWarned: true, slaBreached: true, timeLeftMs: 0 });
  expect(i.breachMarks).toBe(2);
  expect(i.sent).toEqual([
    { kind: 'sla-warning', to: ['slack'] },
    { kind: 'sla-breach', to: ['pager'] },
    { kind: 'sla-breach', to: ['pager'] },
  ]);
  expect(i.kinds('sla-warning')).toEqual(['80% of the P1 deadline used: 3 minutes left (2026-03-01T10:15:00.000Z)']);
  expect(i.kinds('sla-breached')[1]).toBe(
    'P1 deadline 2026-03-01T10:15:00.000Z passed, still awaiting-confirmation: paged again (page 2)',
  );
});

test('an announcement ticks its checklist item on the first delivery', () => {
  const i = incident();
  i.announce('confirmation-request', 'text');
  i.announce('rollback-complete', 'text', 'team-notified');
  expect(i.checklist.filter((c) => c.done && c.by === SELF).map((c) => c.id)).toEqual([
    'severity-assessed',
    'stakeholders-notified',
    'team-notified',
  ]);
});

test('a procedure waiting for a person shows in status and pages; a confirm of it is checked before forwarding', () => {
  const i = incident({ approvers: ['bob'] });
  const workflowId = i.procedures[0]!.workflowId;
  const awaiting = {
    workflowId,
    step: 'scale to zero and back',
    timeoutSeconds: 600,
    since: new Date(T0).toISOString(),
  };
  i.procedureAwaiting({ ...awaiting, workflowId: 'someone-else' });
  expect(i.waitingProcedure).toBeUndefined();
  i.procedureAwaiting(awaiting);
  expect(i.waitingProcedure).toEqual(awaiting);
  expect(i.currentStep).toBe(
    `lambdaAliasRollback checkout-api:production waits for confirm of "scale to zero and back" until 2026-03-01T10:10:00.000Z`,
  );
  expect(i.sent.map((s) => s.kind)).toEqual(['procedure-confirmation-request', 'escalation']);
  expect(i.confirmProcedureStep(awaiting, 'eve')).toMatch(/eve is not an approver/);
  expect(i.confirmProcedureStep(awaiting, 'bob')).toBeUndefined();
  expect(i.kinds('forwarded')).toEqual([`confirm of "scale to zero and back" forwarded to ${workflowId}`]);
  i.procedureAwaitSettled({ workflowId, step: 'scale to zero and back', outcome: 'confirmed', by: 'bob' });
  expect(i.waitingProcedure).toBeUndefined();
  expect(i.currentStep).toBe('procedure running: lambdaAliasRollback checkout-api:production');
});

test('checklist items are ticked by id or by the runbook words, once', () => {
  const i = incident();
  i.checklistItem({ item: '- [ ] Status page updated', by: 'carol' });
  i.checklistItem({ item: 'status-page-updated', by: 'dave' });
  i.checklistItem({ item: 'coffee', by: 'dave' });
  expect(i.checklist.find((c) => c.id === 'status-page-updated')).toMatchObject({ done: true, by: 'carol' });
  expect(i.kinds('ignored')).toEqual([
    'checklist: Status page updated was already ticked by carol',
    `checklist item "coffee" is not on the runbook's checklist`,
  ]);
});

test('procedure runs: planned, failed, and a failed plan keep their reason', () => {
  const i = incident();
  expect(i.procedurePlanned(0, { from: 'version 3', to: 'version 2' })).toMatchObject({
    status: 'planned',
    plan: { from: 'version 3', to: 'version 2' },
  });
  i.startRollback('running');
  i.procedureStarted(0);
  expect(i.procedureFailed(0, 'alias not found')).toMatchObject({ status: 'failed', error: 'alias not found' });
  expect(() => i.procedureStarted(1)).toThrow('incident: no procedure 2 (of 1)');
  expect(incident().procedurePlanFailed(0, 'not found')).toMatchObject({ status: 'failed', error: 'not found' });
});
