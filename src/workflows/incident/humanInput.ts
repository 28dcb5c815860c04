// Everything people (and alerting) can send to a running incident, and what they can ask it.
// Each action is validated, then lands in the timeline with who did it; an approval from
// someone outside `approvers` or in the wrong phase is refused and the refusal recorded.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { ZodType, ZodTypeDef } from 'zod';
import { isWaiting } from '../../domain/incident/phases.js';
import { tickByRequest } from '../../domain/incident/checklist.js';
import { parseWith } from '../../domain/validation.js';
import {
  abortRequest,
  alertSignal as alertPayload,
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

  setHandler(confirmSignal, (raw) =>
    accept('confirm', confirmRequest, raw, (req) => approveBySignal('confirmed', req)),
  );
  setHandler(rejectSignal, (raw) => accept('reject', rejectRequest, raw, (req) => approveBySignal('rejected', req)));
  setHandler(confirmUpdate, (req) => approve('confirmed', req), { validator: validatorOf(confirmRequest) });
  setHandler(rejectUpdate, (req) => approve('rejected', req), { validator: validatorOf(rejectRequest) });

  setHandler(investigationResultSignal, (raw) =>
    accept('investigationResult', investigationResult, raw, (req) => {
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
      const to = classifyIncident({ ...incident.input, severity: req.severity }, incident.input.thresholds);
      if (incident.closed || !incident.raise(to, req.by, req.reason ?? 'escalated by hand')) {
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

function approvalRefusal(incident: Incident, decision: string, who: string): string | undefined {
  const approvers = incident.input.approvers;
  if (approvers && !approvers.includes(who)) {
    return `${who} is not an approver of this incident (approvers: ${approvers.join(', ')})`;
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
