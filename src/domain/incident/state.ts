// One incident's state and the only ways to change it: classification, phase, deadline, people's
// decisions, timeline, checklist and procedure runs. Every field is private; every phase change
// goes through a transition method checked against the phase table (phases.ts), and the
// workflow's message handlers only call the methods below (as in Temporal's safe-message-handlers
// sample). Pure, with the clock given, so its rules have plain unit tests; the workflow's
// Incident (src/workflows/incident/incident.ts) adds logs, search attributes and notification
// activities through the protected hooks at the end.
import { isMoreSevere, type Classification, type Severity } from '../decisionMatrix.js';
import { describeTarget } from '../procedures/registry.js';
import {
  classifyIncident,
  type AbortRequest,
  type AlertResolvedSignal,
  type AlertSignal,
  type ChecklistItemRequest,
  type EscalateRequest,
  type IncidentRollbackInput,
  type InvestigationResult,
  type NotificationChannel,
  type RejectRequest,
} from '../schemas/incidentRollback.js';
import type { ConfirmRequest } from '../schemas/confirmation.js';
import {
  renderEscalation,
  renderProcedureConfirmation,
  renderSlaBreach,
  renderSlaWarning,
  type IncidentHeader,
} from './announcements.js';
import { authorityRefusal, selfApprovalRefusal } from './authority.js';
import { findChecklistItem, newChecklist, tick, tickByRequest, type ChecklistItemId } from './checklist.js';
import type { ChecklistItemState } from './checklist.js';
import type { NotificationKind } from './notifications.js';
import { assertTransition, canTransition, isClosed, type ClosedPhase, type Phase } from './phases.js';
import type { TimelineEntry, TimelineKind } from './timeline.js';
// Types only: the shapes the workflow reports and receives, no SDK code.
import type { ApprovalReceipt } from '../../workflows/incident/messages.js';
import type {
  IncidentStatus,
  ProcedurePlan,
  ProcedureRun,
  VerificationSummary,
} from '../../workflows/incident/types.js';
import type { ProcedureAwaiting, ProcedureAwaitSettled } from '../../workflows/support/procedureSignals.js';

/** Who ticks the checklist items the workflow does itself. */
export const SELF = 'incidentRollback';

const MINUTE = 60_000;

/** The deadline window of the current severity: from when it was assessed to when it is due. */
export interface SlaWindow {
  fromMs: number;
  deadlineMs: number;
  /** False for monitoring: its deadline ends the watch, it is not a rollback to breach. */
  enforced: boolean;
}

export interface Approval {
  decision: 'confirmed' | 'rejected';
  by: string;
  notes?: string;
}

/** Where the incident runs: its workflow id, when it started, and its clock (workflow time). */
export interface IncidentContext {
  id: string;
  startedAtMs: number;
  now: () => number;
}

/** A `confirm` or `reject` decided: the receipt for the caller, or the refusal's reason. */
export type Decision = { accepted: ApprovalReceipt } | { refused: string };

export class IncidentState {
  readonly #id: string;
  readonly #input: IncidentRollbackInput;
  readonly #now: () => number;
  readonly #detectedAtMs: number;
  /** The incident's overall limit (epoch ms): every wait ends by then. */
  readonly #expiresAtMs: number;
  #classification: Classification;
  /** Bumped whenever the severity changes, so waits and SLA timers re-plan. */
  #revision = 0;
  #phase: Phase = 'assessing';
  #currentStep = 'assessing severity';
  #sla: SlaWindow | null = null;
  #slaWarned = false;
  #slaBreached = false;
  #abortedBy?: string;
  #alerts = 0;
  /** Resolved alerts received (the trigger's `alertResolved`). */
  #alertsResolved = 0;
  #rollbackStartedMs?: number;
  #rollbackFinishedMs?: number;
  #followUpsWorkflowId?: string;
  /** Set when a plan shows a recent rollback of this target: no rollback without a person. */
  #refire?: string;
  /**
   * Set when something other than an approver (an alert, the monitor) made the rollback
   * immediate while approvers are set: it still waits for a confirmation, and pages.
   */
  #confirmationRequired = false;
  /** Set once the workflow body has returned or failed: background loops stop. */
  #ended = false;
  #verification?: VerificationSummary;
  #approval?: Approval;
  #investigation?: InvestigationResult;
  readonly #timeline: TimelineEntry[] = [];
  readonly #checklist = newChecklist();
  readonly #procedures: ProcedureRun[];

  constructor(input: IncidentRollbackInput, context: IncidentContext) {
    this.#id = context.id;
    this.#input = input;
    this.#now = context.now;
    this.#detectedAtMs = input.detectedAt ? Date.parse(input.detectedAt) : context.startedAtMs;
    this.#classification = classifyIncident(input, input.thresholds);
    this.#expiresAtMs = context.startedAtMs + input.maxDurationHours * 60 * MINUTE;
    this.#procedures = input.procedures.map((p, i) => ({
      type: p.type,
      workflowId: `${context.id}-${i + 1}-${p.type}`,
      target: describeTarget(p),
      status: 'pending',
    }));
  }

  // --- Reading -------------------------------------------------------------------------------

  get id(): string {
    return this.#id;
  }
  get input(): Readonly<IncidentRollbackInput> {
    return this.#input;
  }
  get detectedAtMs(): number {
    return this.#detectedAtMs;
  }
  get expiresAtMs(): number {
    return this.#expiresAtMs;
  }
  get classification(): Readonly<Classification> {
    return this.#classification;
  }
  get severity() {
    return this.#classification.severity;
  }
  get action() {
    return this.#classification.action;
  }
  get revision(): number {
    return this.#revision;
  }
  get phase(): Phase {
    return this.#phase;
  }
  get currentStep(): string {
    return this.#currentStep;
  }
  get sla(): Readonly<SlaWindow> | null {
    return this.#sla;
  }
  get slaBreached(): boolean {
    return this.#slaBreached;
  }
  get abortedBy(): string | undefined {
    return this.#abortedBy;
  }
  get alertsResolved(): number {
    return this.#alertsResolved;
  }
  get rollbackStartedMs(): number | undefined {
    return this.#rollbackStartedMs;
  }
  get rollbackFinishedMs(): number | undefined {
    return this.#rollbackFinishedMs;
  }
  get followUpsWorkflowId(): string | undefined {
    return this.#followUpsWorkflowId;
  }
  get refire(): string | undefined {
    return this.#refire;
  }
  get ended(): boolean {
    return this.#ended;
  }
  get verification(): Readonly<VerificationSummary> | undefined {
    return this.#verification;
  }
  /** The latest accepted `confirm` or `reject` of the current wait for confirmation. */
  get approval(): Readonly<Approval> | undefined {
    return this.#approval;
  }
  /** The accepted `investigationResult`. */
  get investigation(): Readonly<InvestigationResult> | undefined {
    return this.#investigation;
  }
  get timeline(): readonly Readonly<TimelineEntry>[] {
    return this.#timeline;
  }
  get checklist(): readonly Readonly<ChecklistItemState>[] {
    return this.#checklist;
  }
  get procedures(): readonly Readonly<ProcedureRun>[] {
    return this.#procedures;
  }
  get closed(): boolean {
    return isClosed(this.#phase);
  }
  get header(): IncidentHeader {
    return {
      incidentId: this.#id,
      service: this.#input.service,
      environment: this.#input.environment,
      severity: this.severity,
    };
  }
  get channels(): NotificationChannel[] {
    return this.#input.notify.channels;
  }
  get escalationChannels(): NotificationChannel[] {
    return this.#input.notify.escalation.length > 0 ? this.#input.notify.escalation : this.#input.notify.channels;
  }
  /** True when the rollback must wait for a person whatever the severity says. */
  get needsPerson(): boolean {
    return this.#refire !== undefined || this.#confirmationRequired;
  }
  /** The step a procedure waits to have confirmed, if one does. */
  get waitingProcedure(): ProcedureAwaiting | undefined {
    return this.#procedures.find((p) => p.awaiting !== undefined)?.awaiting;
  }

  deadlineIso(): string | null {
    return this.#sla ? new Date(this.#sla.deadlineMs).toISOString() : null;
  }

  incidentCommander(): string | undefined {
    const item = findChecklistItem(this.#checklist, 'commander-assigned')!;
    return this.#input.incidentCommander ?? (item.done ? item.by : undefined);
  }

  /** The `status` query's answer: a snapshot, as of the workflow's latest event. */
  status(): IncidentStatus {
    const now = this.#now();
    return {
      incidentId: this.#id,
      service: this.#input.service,
      environment: this.#input.environment,
      phase: this.#phase,
      severity: this.severity,
      action: this.action,
      rule: this.#classification.rule,
      detectedAt: new Date(this.#detectedAtMs).toISOString(),
      deadline: this.deadlineIso(),
      timeLeftMs: this.#sla ? this.#sla.deadlineMs - now : null,
      asOf: new Date(now).toISOString(),
      slaWarned: this.#slaWarned,
      slaBreached: this.#slaBreached,
      currentStep: this.#currentStep,
      incidentCommander: this.incidentCommander(),
      alerts: this.#alerts,
      alertsResolved: this.#alertsResolved,
      procedures: this.#procedures,
      followUpsWorkflowId: this.#followUpsWorkflowId,
      refire: this.#refire,
      expiresAt: new Date(this.#expiresAtMs).toISOString(),
      verification: this.#verification,
    };
  }

  // --- The timeline and the checklist ----------------------------------------------------------

  record(kind: TimelineKind, message: string, by?: string): void {
    const entry: TimelineEntry = { at: this.#iso(), kind, ...(by ? { by } : {}), message };
    this.#timeline.push(entry);
    this.recorded(entry);
  }

  tick(id: ChecklistItemId, by: string, notes?: string): void {
    const item = findChecklistItem(this.#checklist, id)!;
    if (tick(item, by, this.#iso(), notes)) {
      this.record('checklist', `checklist: ${item.text}${notes ? ` (${notes})` : ''}`, by);
    }
  }

  // --- Phase transitions (each checked against PHASE_TRANSITIONS) ------------------------------

  /** Runbook: "Incident severity assessed", "Incident commander assigned"; the deadline starts. */
  assess(): void {
    const c = this.#classification;
    this.#sla = this.#slaFor(c, this.#detectedAtMs);
    this.record('assessed', `${c.severity} (${c.rule}): ${c.action}`, this.#input.requestedBy);
    this.tick('severity-assessed', SELF);
    if (this.#input.incidentCommander) {
      this.tick('commander-assigned', this.#input.requestedBy, `incident commander: ${this.#input.incidentCommander}`);
    }
  }

  /** Waits for `confirm` or `reject`; an answer to an earlier wait does not count. */
  awaitConfirmation(step: string): void {
    this.#approval = undefined;
    this.#enter('awaiting-confirmation', step);
  }

  awaitInvestigation(step: string): void {
    this.#enter('awaiting-investigation', step);
  }

  startMonitoring(step: string): void {
    this.#enter('monitoring', step);
  }

  startRollback(step: string): void {
    this.#enter('rolling-back', step);
    this.#rollbackStartedMs = this.#now();
  }

  close(outcome: ClosedPhase, step: string): void {
    this.#enter(outcome, step);
  }

  #enter(phase: Phase, step: string): void {
    assertTransition(this.#phase, phase);
    if (phase !== this.#phase) this.record('phase', `${this.#phase} -> ${phase}: ${step}`);
    this.#phase = phase;
    this.#currentStep = step;
    this.phaseEntered(phase);
  }

  // --- The workflow's own steps ----------------------------------------------------------------

  /** What the incident does now, as `status` shows it, within its phase. */
  showStep(step: string): void {
    this.#currentStep = step;
  }

  /**
   * Raises the severity (never lowers it); true when it changed. With approvers set, only an
   * approver can make a rollback immediate: an alert or the monitor raises the severity, its
   * deadline and pages, but the rollback still waits for a confirmation.
   */
  raise(to: Classification, by: string, why: string, options: { byApprover?: boolean } = {}): boolean {
    if (!isMoreSevere(to.severity, this.severity)) return false;
    if (this.#input.approvers && !options.byApprover && to.action === 'immediate-rollback') {
      this.#confirmationRequired = true;
    }
    const from = this.severity;
    this.#classification = to;
    this.#revision += 1;
    // A new severity is a new detection: its deadline counts from now.
    this.#sla = this.#slaFor(to, this.#now());
    this.#slaWarned = false;
    this.record('severity-changed', `${from} -> ${to.severity} (${to.rule}): ${why}`, by);
    this.severityRaised(to.severity);
    this.escalate(`severity raised from ${from} to ${to.severity}: ${why}`, `the ${to.action.replace(/-/g, ' ')}`);
    return true;
  }

  /** An investigation's "roll back" under the re-fire guard: it still needs a confirmation. */
  requireConfirmation(): void {
    this.#classification = { ...this.#classification, action: 'rollback-after-confirmation' };
  }

  /** The re-fire guard's finding from the plans: when there is one, no rollback without a person. */
  guardRefire(finding: string | undefined): void {
    this.#refire = finding;
    if (finding) {
      this.record('refire-guard', `no automatic rollback: ${finding}`);
      this.escalate(finding, 'a person to confirm or reject another rollback');
    }
  }

  /** Tells the escalation channels; the incident carries on. */
  escalate(why: string, waitingFor: string): void {
    this.record('escalated', `escalated: ${why}`);
    this.notify('escalation', renderEscalation(this.header, why, waitingFor), this.escalationChannels);
  }

  /** An announcement to the incident's channels; the first delivery ticks `checklistItem`. */
  announce(kind: NotificationKind, text: string, checklistItem: ChecklistItemId = 'stakeholders-notified'): void {
    this.notify(kind, text, this.channels, () => this.tick(checklistItem, SELF, `${kind} delivered`));
  }

  /** A message to the escalation channels (a failed rollback). */
  page(kind: NotificationKind, text: string): void {
    this.notify(kind, text, this.escalationChannels);
  }

  /** 80% of the deadline used. */
  warnSla(deadlineMs: number): void {
    const deadline = new Date(deadlineMs).toISOString();
    const minutesLeft = Math.max(0, Math.round((deadlineMs - this.#now()) / 60_000));
    this.#slaWarned = true;
    this.record('sla-warning', `80% of the ${this.severity} deadline used: ${minutesLeft} minutes left (${deadline})`);
    this.notify('sla-warning', renderSlaWarning(this.header, deadline, minutesLeft), this.channels);
  }

  /** The deadline passed before the rollback finished: `page` counts the pages so far. */
  breachSla(deadlineMs: number, page: number): void {
    const deadline = new Date(deadlineMs).toISOString();
    this.#slaBreached = true;
    this.slaBreachMarked();
    this.record(
      'sla-breached',
      page === 1
        ? `${this.severity} deadline ${deadline} passed while ${this.#phase}: escalated`
        : `${this.severity} deadline ${deadline} passed, still ${this.#phase}: paged again (page ${page})`,
    );
    this.notify('sla-breach', renderSlaBreach(this.header, deadline, this.#phase), this.escalationChannels);
  }

  procedurePlanned(index: number, plan: ProcedurePlan): Readonly<ProcedureRun> {
    return Object.assign(this.#run(index), { status: 'planned', plan });
  }

  procedurePlanFailed(index: number, error: string): Readonly<ProcedureRun> {
    return Object.assign(this.#run(index), { status: 'failed', error });
  }

  procedureStarted(index: number): Readonly<ProcedureRun> {
    return Object.assign(this.#run(index), { status: 'running', startedAt: this.#iso() });
  }

  procedureSucceeded(index: number, result: unknown): Readonly<ProcedureRun> {
    const run = this.#run(index);
    run.result = result;
    return Object.assign(run, { status: 'succeeded', finishedAt: this.#iso(), awaiting: undefined });
  }

  procedureFailed(index: number, error: string): Readonly<ProcedureRun> {
    return Object.assign(this.#run(index), {
      status: 'failed',
      finishedAt: this.#iso(),
      error,
      awaiting: undefined,
    });
  }

  /** Runbook: "Rollback progress monitored": every procedure followed to its end. */
  proceduresFinished(): void {
    this.tick('progress-monitored', SELF, 'every procedure workflow followed to completion');
    this.#rollbackFinishedMs = this.#now();
  }

  recordVerification(summary: VerificationSummary): void {
    this.#verification = summary;
  }

  followUpsStarted(workflowId: string): void {
    this.#followUpsWorkflowId = workflowId;
    this.record('follow-ups-started', `reminders at 1 hour, 24 hours and 1 week: workflow ${workflowId}`);
  }

  /** The workflow body returned or failed: background loops stop. */
  end(): void {
    this.#ended = true;
  }

  // --- What people and procedures send (called by the message handlers) -----------------------

  /** A `confirm` or `reject` of the rollback: refused unless allowed and awaiting confirmation. */
  decide(decision: Approval['decision'], req: ConfirmRequest | RejectRequest): Decision {
    const refusal = this.#approvalRefusal(decision, req.by);
    if (refusal) {
      this.record('refused', `${decision === 'confirmed' ? 'confirm' : 'reject'} refused: ${refusal}`, req.by);
      return { refused: refusal };
    }
    const notes = 'notes' in req ? req.notes : 'reason' in req ? req.reason : undefined;
    this.#approval = { decision, by: req.by, notes };
    this.record(decision, `rollback ${decision}${notes ? `: ${notes}` : ''}`, req.by);
    return { accepted: { accepted: true, decision, by: req.by, phase: this.#phase } };
  }

  /**
   * A `confirm` of the step a procedure waits for, checked like any confirmation (approvers,
   * self-approval); the refusal's reason, or undefined when the workflow may forward it.
   */
  confirmProcedureStep(waiting: ProcedureAwaiting, by: string): string | undefined {
    const refusal = authorityRefusal(this.#input, by) ?? selfApprovalRefusal(this.#input, by);
    if (refusal) {
      this.record('refused', `confirm of "${waiting.step}" refused: ${refusal}`, by);
      return refusal;
    }
    this.record('forwarded', `confirm of "${waiting.step}" forwarded to ${waiting.workflowId}`, by);
    return undefined;
  }

  reportInvestigation(req: InvestigationResult): void {
    const refusal = authorityRefusal(this.#input, req.by);
    if (refusal) {
      this.record('refused', `investigation result refused: ${refusal}`, req.by);
      return;
    }
    if (this.#phase !== 'awaiting-investigation') {
      this.record('refused', `investigation result refused: the incident is ${this.#phase}`, req.by);
      return;
    }
    this.#investigation = req;
    const verdict = req.rollback ? 'roll back' : 'no rollback';
    this.record('investigation', `investigation: ${verdict}${req.notes ? `: ${req.notes}` : ''}`, req.by);
  }

  /** `escalate { severity }` by a person: raises the severity, never lowers it. */
  escalateSeverity(req: EscalateRequest): void {
    const refusal = authorityRefusal(this.#input, req.by);
    if (refusal) {
      this.record('refused', `escalate to ${req.severity} refused: ${refusal}`, req.by);
      return;
    }
    const to = classifyIncident({ ...this.#input, severity: req.severity }, this.#input.thresholds);
    const byApprover = this.#input.approvers !== undefined;
    if (this.closed || !this.raise(to, req.by, req.reason ?? 'escalated by hand', { byApprover })) {
      this.record(
        'ignored',
        `escalate to ${req.severity} ignored: the incident is ${this.severity}, ${this.#phase}`,
        req.by,
      );
    }
  }

  /** Ends the incident at its next step, while it is assessed or waits; never a running rollback. */
  abort(req: AbortRequest): void {
    const refusal = authorityRefusal(this.#input, req.by);
    if (refusal) {
      this.record('refused', `abort refused: ${refusal}`, req.by);
      return;
    }
    if (!canTransition(this.#phase, 'aborted')) {
      // A half-finished rollback is worse than a finished one: once it runs, it completes.
      this.record('refused', `abort refused: the incident is ${this.#phase}`, req.by);
      return;
    }
    this.#abortedBy = req.by;
    this.record('aborted', `incident aborted${req.reason ? `: ${req.reason}` : ''}`, req.by);
  }

  /** Repeats are counted; a more severe alert raises the severity; a milder one never lowers it. */
  alert(alert: AlertSignal): void {
    this.#alerts += 1;
    const n = this.#alerts;
    const who = alert.source ?? 'alert';
    const facts = [alert.severity, alert.outage, alert.errorRatePct, alert.latencyDegradationPct];
    const says = facts.some((f) => f !== undefined) ? classifyIncident(alert, this.#input.thresholds) : undefined;
    const summary = alert.summary ? `: ${alert.summary}` : '';
    if (!says || says.severity === this.severity) {
      this.record('alert', `alert #${n} (repeat, ${this.severity})${summary}`, who);
    } else if (!this.closed && this.raise(says, who, `alert #${n}${summary}`)) {
      this.record('alert', `alert #${n} raised the severity to ${says.severity}${summary}`, who);
    } else {
      this.record(
        'alert',
        `alert #${n} suggests ${says.severity}; severity stays ${this.severity} (never lowered automatically)${summary}`,
        who,
      );
    }
  }

  /** Information, not a decision: it may end P2 monitoring, never a wait for a person. */
  alertResolved(resolved: AlertResolvedSignal): void {
    this.#alertsResolved += 1;
    const summary = resolved.summary ? `: ${resolved.summary}` : '';
    this.record('alert-resolved', `alert resolved${summary} (while ${this.#phase})`, resolved.source ?? 'alert');
  }

  /** `checklistItem { item, by, notes }`: ticked, or recorded as ignored with why. */
  checklistItem(req: ChecklistItemRequest): void {
    const outcome = tickByRequest(this.#checklist, req, this.#iso());
    if ('ignored' in outcome) this.record('ignored', outcome.ignored, req.by);
    else this.record('checklist', `checklist: ${outcome.ticked.text}`, req.by);
  }

  /** A procedure started waiting for a person: shown, announced and paged. */
  procedureAwaiting(awaiting: ProcedureAwaiting): void {
    const run = this.#procedures.find((p) => p.workflowId === awaiting.workflowId);
    if (!run) return;
    run.awaiting = awaiting;
    const until = new Date(Date.parse(awaiting.since) + awaiting.timeoutSeconds * 1000).toISOString();
    this.#currentStep = `${run.target} waits for confirm of "${awaiting.step}" until ${until}`;
    this.record('procedure-awaiting', `${run.target} waits for confirm of "${awaiting.step}" until ${until}`);
    const text = renderProcedureConfirmation(this.header, run.target, awaiting.step, until);
    this.notify('procedure-confirmation-request', text, this.channels);
    this.escalate(`${run.target} waits for confirm of "${awaiting.step}"`, `confirm by ${until}`);
  }

  procedureAwaitSettled(settled: ProcedureAwaitSettled): void {
    const run = this.#procedures.find((p) => p.workflowId === settled.workflowId);
    if (!run?.awaiting) return;
    run.awaiting = undefined;
    this.#currentStep = `procedure running: ${run.target}`;
    this.record(
      'procedure-awaiting',
      `${run.target}: "${settled.step}" ${settled.outcome}${settled.by ? ` by ${settled.by}` : ''}`,
      settled.by,
    );
  }

  // --- Hooks for the workflow: logs, search attributes, notification activities ---------------

  /** A timeline entry was added. */
  protected recorded(_entry: TimelineEntry): void {}
  /** The phase was entered (or re-entered). */
  protected phaseEntered(_phase: Phase): void {}
  protected severityRaised(_severity: Severity): void {}
  protected slaBreachMarked(): void {}
  /** Sends `text` to `channels`; `onDelivered` runs after the first delivery. */
  protected notify(
    _kind: NotificationKind,
    _text: string,
    _channels: NotificationChannel[],
    _onDelivered?: () => void,
  ): void {}

  // --- Private helpers -------------------------------------------------------------------------

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  #run(index: number): ProcedureRun {
    const run = this.#procedures[index];
    if (!run) throw new RangeError(`incident: no procedure ${index + 1} (of ${this.#procedures.length})`);
    return run;
  }

  #approvalRefusal(decision: Approval['decision'], who: string): string | undefined {
    const refusal = authorityRefusal(this.#input, who);
    if (refusal) return refusal;
    if (decision === 'confirmed') {
      const self = selfApprovalRefusal(this.#input, who);
      if (self) return self;
    }
    if (this.#phase !== 'awaiting-confirmation') {
      return `nothing to be ${decision}: the incident is ${this.#phase}, not awaiting-confirmation`;
    }
    return undefined;
  }

  /** Fix-forward has no deadline ("next deployment"). */
  #slaFor(c: Classification, fromMs: number): SlaWindow | null {
    if (c.deadlineMs === null) return null;
    return { fromMs, deadlineMs: fromMs + c.deadlineMs, enforced: c.action !== 'monitor' };
  }
}
