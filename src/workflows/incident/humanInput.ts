// Everything people (and alerting) can send to a running incident, and what they can ask it.
// Each action is validated, then lands in the timeline with who did it. With `approvers` set,
// every input that changes what happens (confirm, reject, investigationResult, escalate, abort)
// must come from an approver; checklist ticks gate nothing and are open to anyone. The person
// who requested the rollback may not confirm it unless `allowSelfApproval`. Refusals are
// recorded, and an update answers with the reason.
import { ApplicationFailure, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { renderProcedureConfirmation } from '../../domain/incident/announcements.js';
import {
  procedureAwaitingSignal,
  procedureAwaitSettledSignal,
  type ProcedureAwaiting,
} from '../support/procedureSignals.js';
import { confirmSignal as childConfirmSignal } from '../support/confirmation.js';
import { reason } from './notifier.js';
import type { ZodType, ZodTypeDef } from 'zod';
import { isWaiting } from '../../domain/incident/phases.js';
import { tickByRequest } from '../../domain/incident/checklist.js';
import { parseWith } from '../../domain/validation.js';
import {
  abortRequest,
  alertSignal as alertPayload,
  alertResolvedSignal as alertResolvedPayload,
  checklistItemRequest,
  classifyIncident,
  confirmRequest,
  escalateRequest,
  investigationResult,
  rejectRequest,
  type AlertSignal,
  type ConfirmRequest,
  type RejectRequest,
} from '../../domain/schemas/incidentRollback.js';
import { acceptSignal, type Recorder } from '../support/signals.js';
import type { Incident } from './incident.js';
import {
  abortSignal,
  alertSignal,
  alertResolvedSignal,
  checklistItemSignal,
  checklistQuery,
  confirmSignal,
  confirmUpdate,
  escalateSignal,
  investigationResultSignal,
  rejectSignal,
  rejectUpdate,
  statusQuery,
  timelineQuery,
  type ApprovalReceipt,
} from './messages.js';

/** What people decided while the workflow waited; read by the waiting steps. */
export interface Decisions {
  approval?: { decision: 'confirmed' | 'rejected'; by: string; notes?: string };
  investigation?: { rollback: boolean; by: string; notes?: string };
}

export function listenForPeople(incident: Incident): Decisions {
  const decisions: Decisions = {};

  const record: Recorder = (kind, message, by) => incident.record(kind, message, by);
  const accept = <T>(name: string, schema: ZodType<T, ZodTypeDef, unknown>, raw: unknown, apply: (v: T) => void) =>
    acceptSignal(record, name, schema, raw, apply);

  function approve(decision: 'confirmed' | 'rejected', req: ConfirmRequest | RejectRequest): ApprovalReceipt {
    const waiting = waitingChild(incident);
    if (decision === 'confirmed' && waiting && incident.phase === 'rolling-back') return forward(waiting, req);
    const refusal = approvalRefusal(incident, decision, req.by);
    if (refusal) {
      incident.record('refused', `${decision === 'confirmed' ? 'confirm' : 'reject'} refused: ${refusal}`, req.by);
      throw ApplicationFailure.create({ type: 'ApprovalRefused', message: refusal, nonRetryable: true });
    }
    const notes = 'notes' in req ? req.notes : 'reason' in req ? req.reason : undefined;
    decisions.approval = { decision, by: req.by, notes };
    incident.record(decision, `rollback ${decision}${notes ? `: ${notes}` : ''}`, req.by);
    return { accepted: true, decision, by: req.by, phase: incident.phase };
  }

  /** The signal form of an approval: a refusal is recorded, there is no caller to answer. */
  function approveBySignal(decision: 'confirmed' | 'rejected', req: ConfirmRequest | RejectRequest): void {
    try {
      approve(decision, req);
    } catch (error) {
      if (!(error instanceof ApplicationFailure)) throw error;
    }
  }

  /** A `confirm` while a procedure waits for one goes to that procedure, checked like any other. */
  function forward(waiting: ProcedureAwaiting, req: ConfirmRequest): ApprovalReceipt {
    const refusal = authorityRefusal(incident, req.by) ?? selfApprovalRefusal(incident, req.by);
    if (refusal) {
      incident.record('refused', `confirm of "${waiting.step}" refused: ${refusal}`, req.by);
      throw ApplicationFailure.create({ type: 'ApprovalRefused', message: refusal, nonRetryable: true });
    }
    incident.record('forwarded', `confirm of "${waiting.step}" forwarded to ${waiting.workflowId}`, req.by);
    incident.forwarding.push(
      getExternalWorkflowHandle(waiting.workflowId)
        .signal(childConfirmSignal, { by: req.by, step: waiting.step, ...(req.notes ? { note: req.notes } : {}) })
        .catch((error: unknown) =>
          incident.record('notification-failed', `confirm to ${waiting.workflowId} failed: ${reason(error)}`),
        ),
    );
    return { accepted: true, decision: 'confirmed', by: req.by, phase: incident.phase };
  }

  setHandler(procedureAwaitingSignal, (awaiting) => {
    const run = incident.procedures.find((p) => p.workflowId === awaiting.workflowId);
    if (!run) return;
    run.awaiting = awaiting;
    const until = new Date(Date.parse(awaiting.since) + awaiting.timeoutSeconds * 1000).toISOString();
    incident.currentStep = `${run.target} waits for confirm of "${awaiting.step}" until ${until}`;
    incident.record('procedure-awaiting', `${run.target} waits for confirm of "${awaiting.step}" until ${until}`);
    const text = renderProcedureConfirmation(incident.header, run.target, awaiting.step, until);
    incident.notifier.send('procedure-confirmation-request', text, incident.channels);
    incident.escalate(`${run.target} waits for confirm of "${awaiting.step}"`, `confirm by ${until}`);
  });
  setHandler(procedureAwaitSettledSignal, (settled) => {
    const run = incident.procedures.find((p) => p.workflowId === settled.workflowId);
    if (!run?.awaiting) return;
    run.awaiting = undefined;
    incident.currentStep = `procedure running: ${run.target}`;
    incident.record(
      'procedure-awaiting',
      `${run.target}: "${settled.step}" ${settled.outcome}${settled.by ? ` by ${settled.by}` : ''}`,
      settled.by,
    );
  });

  setHandler(confirmSignal, (raw) =>
    accept('confirm', confirmRequest, raw, (req) => approveBySignal('confirmed', req)),
  );
  setHandler(rejectSignal, (raw) => accept('reject', rejectRequest, raw, (req) => approveBySignal('rejected', req)));
  setHandler(confirmUpdate, (req) => approve('confirmed', req), { validator: validatorOf(confirmRequest) });
  setHandler(rejectUpdate, (req) => approve('rejected', req), { validator: validatorOf(rejectRequest) });

  setHandler(investigationResultSignal, (raw) =>
    accept('investigationResult', investigationResult, raw, (req) => {
      const refusal = authorityRefusal(incident, req.by);
      if (refusal) {
        incident.record('refused', `investigation result refused: ${refusal}`, req.by);
        return;
      }
      if (incident.phase !== 'awaiting-investigation') {
        incident.record('refused', `investigation result refused: the incident is ${incident.phase}`, req.by);
        return;
      }
      decisions.investigation = req;
      const verdict = req.rollback ? 'roll back' : 'no rollback';
      incident.record('investigation', `investigation: ${verdict}${req.notes ? `: ${req.notes}` : ''}`, req.by);
    }),
  );

  setHandler(escalateSignal, (raw) =>
    accept('escalate', escalateRequest, raw, (req) => {
      const refusal = authorityRefusal(incident, req.by);
      if (refusal) {
        incident.record('refused', `escalate to ${req.severity} refused: ${refusal}`, req.by);
        return;
      }
      const to = classifyIncident({ ...incident.input, severity: req.severity }, incident.input.thresholds);
      const byApprover = incident.input.approvers !== undefined;
      if (incident.closed || !incident.raise(to, req.by, req.reason ?? 'escalated by hand', { byApprover })) {
        incident.record(
          'ignored',
          `escalate to ${req.severity} ignored: the incident is ${incident.severity}, ${incident.phase}`,
          req.by,
        );
      }
    }),
  );

  setHandler(abortSignal, (raw) =>
    accept('abort', abortRequest, raw, (req) => {
      const refusal = authorityRefusal(incident, req.by);
      if (refusal) {
        incident.record('refused', `abort refused: ${refusal}`, req.by);
        return;
      }
      if (!isWaiting(incident.phase) && incident.phase !== 'assessing') {
        // A half-finished rollback is worse than a finished one: once it runs, it completes.
        incident.record('refused', `abort refused: the incident is ${incident.phase}`, req.by);
        return;
      }
      incident.abortedBy = req.by;
      incident.record('aborted', `incident aborted${req.reason ? `: ${req.reason}` : ''}`, req.by);
    }),
  );

  setHandler(alertSignal, (raw) => accept('alert', alertPayload, raw, (alert) => onAlert(incident, alert)));

  // A resolved alert is information, not a decision: it may end P2 monitoring (after a healthy
  // reading), and never cancels a wait for a person or a rollback.
  setHandler(alertResolvedSignal, (raw) =>
    accept('alertResolved', alertResolvedPayload, raw, (resolved) => {
      incident.alertsResolved += 1;
      const summary = resolved.summary ? `: ${resolved.summary}` : '';
      incident.record(
        'alert-resolved',
        `alert resolved${summary} (while ${incident.phase})`,
        resolved.source ?? 'alert',
      );
    }),
  );

  setHandler(checklistItemSignal, (raw) =>
    accept('checklistItem', checklistItemRequest, raw, (req) => {
      const outcome = tickByRequest(incident.checklist, req, new Date().toISOString());
      if ('ignored' in outcome) incident.record('ignored', outcome.ignored, req.by);
      else incident.record('checklist', `checklist: ${outcome.ticked.text}`, req.by);
    }),
  );

  setHandler(statusQuery, () => incident.status());
  setHandler(checklistQuery, () => incident.checklist);
  setHandler(timelineQuery, () => incident.timeline);

  return decisions;
}

/** Why `who` may not change what this incident does, or undefined when they may. */
function authorityRefusal(incident: Incident, who: string): string | undefined {
  const approvers = incident.input.approvers;
  if (approvers && !approvers.includes(who)) {
    return `${who} is not an approver of this incident (approvers: ${approvers.join(', ')})`;
  }
  return undefined;
}

function selfApprovalRefusal(incident: Incident, who: string): string | undefined {
  if (!incident.input.allowSelfApproval && who === incident.input.requestedBy) {
    return `${who} requested this rollback and may not confirm it (allowSelfApproval is false)`;
  }
  return undefined;
}

function waitingChild(incident: Incident): ProcedureAwaiting | undefined {
  return incident.procedures.find((p) => p.awaiting !== undefined)?.awaiting;
}

function approvalRefusal(incident: Incident, decision: string, who: string): string | undefined {
  const refusal = authorityRefusal(incident, who);
  if (refusal) return refusal;
  if (decision === 'confirmed') {
    const self = selfApprovalRefusal(incident, who);
    if (self) return self;
  }
  if (incident.phase !== 'awaiting-confirmation') {
    const verb = decision === 'confirmed' ? 'confirmed' : 'rejected';
    return `nothing to be ${verb}: the incident is ${incident.phase}, not awaiting-confirmation`;
  }
  return undefined;
}

/** Repeats are counted; a more severe alert raises the severity; a milder one never lowers it. */
function onAlert(incident: Incident, alert: AlertSignal): void {
  incident.alerts += 1;
  const who = alert.source ?? 'alert';
  const facts = [alert.severity, alert.outage, alert.errorRatePct, alert.latencyDegradationPct];
  const says = facts.some((f) => f !== undefined) ? classifyIncident(alert, incident.input.thresholds) : undefined;
  const summary = alert.summary ? `: ${alert.summary}` : '';
  if (!says || says.severity === incident.severity) {
    incident.record('alert', `alert #${incident.alerts} (repeat, ${incident.severity})${summary}`, who);
  } else if (!incident.closed && incident.raise(says, who, `alert #${incident.alerts}${summary}`)) {
    incident.record('alert', `alert #${incident.alerts} raised the severity to ${says.severity}${summary}`, who);
  } else {
    incident.record(
      'alert',
      `alert #${incident.alerts} suggests ${says.severity}; severity stays ${incident.severity} (never lowered automatically)${summary}`,
      who,
    );
  }
}

function validatorOf<T>(schema: ZodType<T, ZodTypeDef, unknown>): (raw: T) => void {
  return (raw) => {
    const parsed = parseWith(schema, raw);
    if (!parsed.ok) throw new Error(`invalid request: ${parsed.message}`);
  };
}
