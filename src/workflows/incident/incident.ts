// One incident's state: its classification, phase, deadline, timeline, checklist and procedure
// runs, kept in step with the search attributes. The workflow's steps change it only through
// these methods, so every change is recorded.
import { condition, log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { isMoreSevere, type Classification } from '../../domain/decisionMatrix.js';
import { findChecklistItem, newChecklist, tick, type ChecklistItemId } from '../../domain/incident/checklist.js';
import { describeTarget } from '../../domain/procedures/registry.js';
import { isClosed, type ClosedPhase, type Phase } from '../../domain/incident/phases.js';
import type { TimelineEntry, TimelineKind } from '../../domain/incident/timeline.js';
import {
  classifyIncident,
  type IncidentRollbackInput,
  type NotificationChannel,
} from '../../domain/schemas/incidentRollback.js';
import {
  RollbackEnvironment,
  RollbackPhase,
  RollbackService,
  RollbackSeverity,
  ROLLBACK_SEARCH_ATTRIBUTES,
  SlaBreached,
} from '../../temporal/searchAttributes.js';
import type { NotificationKind } from '../../domain/incident/notifications.js';
import { renderEscalation } from '../../domain/incident/announcements.js';
import { incidentCurrentDetails, incidentLimitTimerSummary } from '../../domain/incident/summaries.js';
import { temporalApi } from './activities.js';
import { Notifier } from './notifier.js';
import type { IncidentStatus, ProcedureRun, VerificationSummary } from './types.js';

/** Who ticks the checklist items the workflow does itself. */
export const SELF = 'incidentRollback';

/**
 * How a wait ended: its own condition, a new severity (re-plan), an abort, its timeout, or the
 * incident's overall limit (`expired`).
 */
export type WaitOutcome = 'done' | 'severity-changed' | 'aborted' | 'timeout' | 'expired';

const MINUTE = 60_000;

/** The deadline window of the current severity: from when it was assessed to when it is due. */
export interface SlaWindow {
  fromMs: number;
  deadlineMs: number;
  /** False for monitoring: its deadline ends the watch, it is not a rollback to breach. */
  enforced: boolean;
}

export class Incident {
  readonly id = workflowInfo().workflowId;
  readonly detectedAtMs: number;
  classification: Classification;
  /** Bumped whenever the severity changes, so waits and SLA timers re-plan. */
  revision = 0;
  phase: Phase = 'assessing';
  currentStep = 'assessing severity';
  sla: SlaWindow | null = null;
  slaWarned = false;
  slaBreached = false;
  abortedBy?: string;
  alerts = 0;
  /** Resolved alerts received (the trigger's `alertResolved`). */
  alertsResolved = 0;
  rollbackStartedMs?: number;
  rollbackFinishedMs?: number;
  followUpsWorkflowId?: string;
  /** The incident's overall limit (epoch ms): every wait ends by then. */
  readonly expiresAtMs: number;
  /** Set when a plan shows a recent rollback of this target: no rollback without a person. */
  refire?: string;
  /**
   * Set when something other than an approver (an alert, the monitor) made the rollback
   * immediate while approvers are set: it still waits for a confirmation, and pages.
   */
  confirmationRequired = false;
  /** Set once the workflow body has returned or failed: background loops stop. */
  ended = false;
  verification?: VerificationSummary;
  /** Signals forwarded to child procedures, awaited before the incident closes. */
  readonly forwarding: Promise<void>[] = [];
  readonly timeline: TimelineEntry[] = [];
  readonly checklist = newChecklist();
  readonly procedures: ProcedureRun[];
  readonly notifier: Notifier;
  private searchAttributes = false;

  constructor(readonly input: IncidentRollbackInput) {
    this.detectedAtMs = input.detectedAt ? Date.parse(input.detectedAt) : workflowInfo().startTime.getTime();
    this.classification = classifyIncident(input, input.thresholds);
    this.expiresAtMs = workflowInfo().startTime.getTime() + input.maxDurationHours * 60 * MINUTE;
    this.procedures = input.procedures.map((p, i) => ({
      type: p.type,
      workflowId: `${this.id}-${i + 1}-${p.type}`,
      target: describeTarget(p),
      status: 'pending',
    }));
    this.notifier = new Notifier(
      (kind, message) => this.record(kind, message),
      () => ({
        incidentId: this.id,
        service: input.service,
        environment: input.environment,
        severity: this.classification.severity,
      }),
    );
  }

  get severity() {
    return this.classification.severity;
  }
  get action() {
    return this.classification.action;
  }
  get closed(): boolean {
    return isClosed(this.phase);
  }
  get header() {
    return {
      incidentId: this.id,
      service: this.input.service,
      environment: this.input.environment,
      severity: this.severity,
    };
  }
  get channels(): NotificationChannel[] {
    return this.input.notify.channels;
  }
  get escalationChannels(): NotificationChannel[] {
    return this.input.notify.escalation.length > 0 ? this.input.notify.escalation : this.input.notify.channels;
  }

  record(kind: TimelineKind, message: string, by?: string): void {
    this.timeline.push({ at: new Date().toISOString(), kind, ...(by ? { by } : {}), message });
    log.info(message, { incidentId: this.id, kind, by });
    this.showDetails();
  }

  /**
   * The Web UI's "current details" of the run: the status at a glance. A query-side value (no
   * command, nothing in history), refreshed with every recorded step.
   */
  showDetails(): void {
    setCurrentDetails(incidentCurrentDetails(this.status(), this.input));
  }

  /** Runbook: "Incident severity assessed", "Incident commander assigned". */
  async assess(): Promise<void> {
    const c = this.classification;
    this.sla = this.slaFor(c, this.detectedAtMs);
    this.record('assessed', `${c.severity} (${c.rule}): ${c.action}`, this.input.requestedBy);
    this.tick('severity-assessed', SELF);
    if (this.input.incidentCommander) {
      this.tick('commander-assigned', this.input.requestedBy, `incident commander: ${this.input.incidentCommander}`);
    }
    const missing = await temporalApi.missingSearchAttributes(ROLLBACK_SEARCH_ATTRIBUTES.map((k) => k.name));
    this.searchAttributes = missing.length === 0;
    if (!this.searchAttributes) log.warn(`search attributes not registered, not kept: ${missing.join(', ')}`);
    this.upsert([
      { key: RollbackService, value: this.input.service },
      { key: RollbackEnvironment, value: this.input.environment },
      { key: RollbackSeverity, value: c.severity },
      { key: RollbackPhase, value: this.phase },
      { key: SlaBreached, value: false },
    ]);
  }

  enter(phase: Phase, step: string): void {
    if (phase !== this.phase) this.record('phase', `${this.phase} -> ${phase}: ${step}`);
    this.phase = phase;
    this.currentStep = step;
    this.upsert([{ key: RollbackPhase, value: phase }]);
    this.showDetails();
  }

  close(outcome: ClosedPhase, step: string): void {
    this.enter(outcome, step);
  }

  /**
   * Raises the severity (never lowers it); true when it changed. With approvers set, only an
   * approver can make a rollback immediate: an alert or the monitor raises the severity, its
   * deadline and pages, but the rollback still waits for a confirmation.
   */
  raise(to: Classification, by: string, why: string, options: { byApprover?: boolean } = {}): boolean {
    if (!isMoreSevere(to.severity, this.severity)) return false;
    if (this.input.approvers && !options.byApprover && to.action === 'immediate-rollback') {
      this.confirmationRequired = true;
    }
    const from = this.severity;
    this.classification = to;
    this.revision += 1;
    // A new severity is a new detection: its deadline counts from now.
    this.sla = this.slaFor(to, Date.now());
    this.slaWarned = false;
    this.record('severity-changed', `${from} -> ${to.severity} (${to.rule}): ${why}`, by);
    this.upsert([{ key: RollbackSeverity, value: to.severity }]);
    this.escalate(`severity raised from ${from} to ${to.severity}: ${why}`, `the ${to.action.replace(/-/g, ' ')}`);
    return true;
  }

  /** Tells the escalation channels; the incident carries on. */
  escalate(why: string, waitingFor: string): void {
    this.record('escalated', `escalated: ${why}`);
    this.notifier.send('escalation', renderEscalation(this.header, why, waitingFor), this.escalationChannels);
  }

  /** An announcement to the incident's channels; the first delivery notifies the stakeholders. */
  announce(kind: NotificationKind, text: string, checklistItem: ChecklistItemId = 'stakeholders-notified'): void {
    this.notifier.send(kind, text, this.channels, () => this.tick(checklistItem, SELF, `${kind} delivered`));
  }

  markSlaBreached(): void {
    this.slaBreached = true;
    this.upsert([{ key: SlaBreached, value: true }]);
  }

  tick(id: ChecklistItemId, by: string, notes?: string): void {
    const item = findChecklistItem(this.checklist, id)!;
    if (tick(item, by, new Date().toISOString(), notes)) {
      this.record('checklist', `checklist: ${item.text}${notes ? ` (${notes})` : ''}`, by);
    }
  }

  /**
   * Waits for `done`, a change of severity, an abort, or `timeoutMs`. Whatever ends the wait,
   * the caller decides the next step from the returned reason. `summary` names the timer in the
   * Web UI ("confirmation timeout: 5 min, then escalate").
   */
  async waitFor(done: () => boolean, timeoutMs?: number, summary?: string): Promise<WaitOutcome> {
    const revision = this.revision;
    const ended = () => done() || this.revision !== revision || this.abortedBy !== undefined;
    // Every wait is bounded: by its own timeout, and at the latest by the incident's limit.
    const toLimit = this.expiresAtMs - Date.now();
    const bound = timeoutMs === undefined ? toLimit : Math.min(timeoutMs, toLimit);
    const timer =
      timeoutMs !== undefined && timeoutMs < toLimit && summary
        ? summary
        : incidentLimitTimerSummary(this.input.maxDurationHours);
    if (!(await condition(ended, Math.max(bound, 1), { summary: timer }))) {
      return timeoutMs !== undefined && timeoutMs < toLimit ? 'timeout' : 'expired';
    }
    if (this.abortedBy !== undefined) return 'aborted';
    if (this.revision !== revision) return 'severity-changed';
    return 'done';
  }

  deadlineIso(): string | null {
    return this.sla ? new Date(this.sla.deadlineMs).toISOString() : null;
  }

  status(): IncidentStatus {
    const now = Date.now();
    return {
      incidentId: this.id,
      service: this.input.service,
      environment: this.input.environment,
      phase: this.phase,
      severity: this.severity,
      action: this.action,
      rule: this.classification.rule,
      detectedAt: new Date(this.detectedAtMs).toISOString(),
      deadline: this.deadlineIso(),
      timeLeftMs: this.sla ? this.sla.deadlineMs - now : null,
      asOf: new Date(now).toISOString(),
      slaWarned: this.slaWarned,
      slaBreached: this.slaBreached,
      currentStep: this.currentStep,
      incidentCommander: this.incidentCommander(),
      alerts: this.alerts,
      alertsResolved: this.alertsResolved,
      procedures: this.procedures,
      followUpsWorkflowId: this.followUpsWorkflowId,
      refire: this.refire,
      expiresAt: new Date(this.expiresAtMs).toISOString(),
      verification: this.verification,
    };
  }

  /** True when the rollback must wait for a person whatever the severity says. */
  get needsPerson(): boolean {
    return this.refire !== undefined || this.confirmationRequired;
  }

  incidentCommander(): string | undefined {
    const item = findChecklistItem(this.checklist, 'commander-assigned')!;
    return this.input.incidentCommander ?? (item.done ? item.by : undefined);
  }

  /** Fix-forward has no deadline ("next deployment"). */
  private slaFor(c: Classification, fromMs: number): SlaWindow | null {
    if (c.deadlineMs === null) return null;
    return { fromMs, deadlineMs: fromMs + c.deadlineMs, enforced: c.action !== 'monitor' };
  }

  private upsert(pairs: SearchAttributeUpdatePair[]): void {
    if (this.searchAttributes) upsertSearchAttributes(pairs);
  }
}
