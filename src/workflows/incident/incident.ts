// One incident in its workflow: the state and its rules (src/domain/incident/state.ts) plus what
// needs Temporal: waits, logs, search attributes kept in step with the phase, notification
// activities, and `confirm` forwarded to a procedure waiting for one. Message handlers and the
// workflow's steps change the incident only through these methods.
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Severity } from '../../domain/decisionMatrix.js';
import type { NotificationKind } from '../../domain/incident/notifications.js';
import type { Phase } from '../../domain/incident/phases.js';
import { IncidentState } from '../../domain/incident/state.js';
import { incidentCurrentDetails, incidentLimitTimerSummary } from '../../domain/incident/summaries.js';
import type { TimelineEntry } from '../../domain/incident/timeline.js';
import type { ConfirmRequest } from '../../domain/schemas/confirmation.js';
import type {
  IncidentRollbackInput,
  NotificationChannel,
  RejectRequest,
} from '../../domain/schemas/incidentRollback.js';
import {
  RollbackEnvironment,
  RollbackPhase,
  RollbackService,
  RollbackSeverity,
  ROLLBACK_SEARCH_ATTRIBUTES,
  SlaBreached,
} from '../../temporal/searchAttributes.js';
import { confirmSignal as childConfirmSignal } from '../support/confirmation.js';
import type { ProcedureAwaiting } from '../support/procedureSignals.js';
import { temporalApi } from './activities.js';
import type { ApprovalReceipt } from './messages.js';
import { Notifier, reason } from './notifier.js';

export { SELF, type SlaWindow } from '../../domain/incident/state.js';

/**
 * How a wait ended: its own condition, a new severity (re-plan), an abort, its timeout, or the
 * incident's overall limit (`expired`).
 */
export type WaitOutcome = 'done' | 'severity-changed' | 'aborted' | 'timeout' | 'expired';

export class Incident extends IncidentState {
  readonly #notifier: Notifier;
  /** Signals forwarded to child procedures, awaited before the incident closes. */
  readonly #forwarding: Promise<void>[] = [];
  #searchAttributes = false;

  constructor(input: IncidentRollbackInput) {
    const info = workflowInfo();
    super(input, { id: info.workflowId, startedAtMs: info.startTime.getTime(), now: () => Date.now() });
    this.#notifier = new Notifier(
      (kind, message) => this.record(kind, message),
      () => this.header,
    );
  }

  /** Assesses (see IncidentState), then keeps the search attributes when the server has them. */
  override async assess(): Promise<void> {
    super.assess();
    const missing = await temporalApi.missingSearchAttributes(ROLLBACK_SEARCH_ATTRIBUTES.map((k) => k.name));
    this.#searchAttributes = missing.length === 0;
    if (!this.#searchAttributes) log.warn(`search attributes not registered, not kept: ${missing.join(', ')}`);
    this.#upsert([
      { key: RollbackService, value: this.input.service },
      { key: RollbackEnvironment, value: this.input.environment },
      { key: RollbackSeverity, value: this.severity },
      { key: RollbackPhase, value: this.phase },
      { key: SlaBreached, value: false },
    ]);
  }

  /**
   * The Web UI's "current details" of the run: the status at a glance. A query-side value (no
   * command, nothing in history), refreshed with every recorded step, phase and step shown.
   */
  showDetails(): void {
    setCurrentDetails(incidentCurrentDetails(this.status(), this.input));
  }

  override showStep(step: string): void {
    super.showStep(step);
    this.showDetails();
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

  /**
   * `confirm` (update): forwarded to a procedure waiting for a person while the rollback runs,
   * else decides the rollback. A refusal fails the update with its reason (and is recorded).
   */
  confirm(req: ConfirmRequest): ApprovalReceipt {
    const waiting = this.waitingProcedure;
    const forwarding = waiting !== undefined && this.phase === 'rolling-back';
    // A `step` names what a procedure waits for: it must be the step that waits now.
    if (req.step !== undefined && req.step !== (forwarding ? waiting.step : undefined)) {
      const refusal = forwarding
        ? `confirm of "${req.step}": the procedure waits for "${waiting.step}"`
        : `confirm of "${req.step}": no procedure waits for a person`;
      this.record('refused', refusal, req.by);
      throw approvalRefused(refusal);
    }
    if (forwarding) return this.#forward(waiting, req);
    return this.#decided(this.decide('confirmed', req));
  }

  /** `reject` (update); a refusal fails the update with its reason. */
  reject(req: RejectRequest): ApprovalReceipt {
    return this.#decided(this.decide('rejected', req));
  }

  /** The signal forms: a refusal is recorded, there is no caller to answer. */
  confirmBySignal(req: ConfirmRequest): void {
    ignoreRefusal(() => this.confirm(req));
  }
  rejectBySignal(req: RejectRequest): void {
    ignoreRefusal(() => this.reject(req));
  }

  /** Waits for the `confirm` signals forwarded to procedures. */
  async forwarded(): Promise<void> {
    await Promise.all(this.#forwarding);
  }

  /** Waits for the outstanding announcements (each is an activity of its own). */
  async flushNotifications(): Promise<void> {
    await this.#notifier.flush();
  }

  #forward(waiting: ProcedureAwaiting, req: ConfirmRequest): ApprovalReceipt {
    const refusal = this.confirmProcedureStep(waiting, req.by);
    if (refusal) throw approvalRefused(refusal);
    this.#forwarding.push(
      getExternalWorkflowHandle(waiting.workflowId)
        .signal(childConfirmSignal, { by: req.by, step: waiting.step, ...(req.notes ? { notes: req.notes } : {}) })
        .catch((error: unknown) =>
          this.record('notification-failed', `confirm to ${waiting.workflowId} failed: ${reason(error)}`),
        ),
    );
    return { accepted: true, decision: 'confirmed', by: req.by, phase: this.phase };
  }

  #decided(decision: ReturnType<IncidentState['decide']>): ApprovalReceipt {
    if ('refused' in decision) throw approvalRefused(decision.refused);
    return decision.accepted;
  }

  protected override recorded(entry: TimelineEntry): void {
    log.info(entry.message, { incidentId: this.id, kind: entry.kind, by: entry.by });
    this.showDetails();
  }

  protected override phaseEntered(phase: Phase): void {
    this.#upsert([{ key: RollbackPhase, value: phase }]);
    this.showDetails();
  }

  protected override severityRaised(severity: Severity): void {
    this.#upsert([{ key: RollbackSeverity, value: severity }]);
  }

  protected override slaBreachMarked(): void {
    this.#upsert([{ key: SlaBreached, value: true }]);
  }

  protected override notify(
    kind: NotificationKind,
    text: string,
    channels: NotificationChannel[],
    onDelivered?: () => void,
  ): void {
    this.#notifier.send(kind, text, channels, onDelivered);
  }

  #upsert(pairs: SearchAttributeUpdatePair[]): void {
    if (this.#searchAttributes) upsertSearchAttributes(pairs);
  }
}

function approvalRefused(refusal: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ApprovalRefused', message: refusal, nonRetryable: true });
}

function ignoreRefusal(approve: () => unknown): void {
  try {
    approve();
  } catch (error) {
    if (!(error instanceof ApplicationFailure)) throw error;
  }
}
