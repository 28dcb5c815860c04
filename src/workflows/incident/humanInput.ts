// Everything people (and alerting) can send to a running incident, and what they can ask it.
// Each payload is validated here; the rules (approvers, self-approval, phase) and every change
// are the incident's own methods, so a handler only calls one (as in Temporal's
// safe-message-handlers sample). Refusals are recorded, and an update answers with the reason.
import { setHandler } from '@temporalio/workflow';
import type { ZodType, ZodTypeDef } from 'zod';
import { parseWith } from '../../domain/validation.js';
import {
  abortRequest,
  alertBatchSignal as alertBatchPayload,
  alertSignal as alertPayload,
  alertResolvedSignal as alertResolvedPayload,
  checklistItemRequest,
  escalateRequest,
  investigationResult,
  rejectRequest,
} from '../../domain/schemas/incidentRollback.js';
import { confirmRequest } from '../../domain/schemas/confirmation.js';
import { procedureAwaitingSignal, procedureAwaitSettledSignal } from '../support/procedureSignals.js';
import { acceptSignal } from '../support/signals.js';
import type { Incident } from './incident.js';
import {
  abortSignal,
  alertSignal,
  alertsSignal,
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
} from './messages.js';

export function listenForPeople(incident: Incident): void {
  /** A signal's payload, validated: a malformed one is recorded and ignored. */
  const accept = <T>(name: string, schema: ZodType<T, ZodTypeDef, unknown>, raw: unknown, apply: (v: T) => void) =>
    acceptSignal((kind, message, by) => incident.record(kind, message, by), name, schema, raw, apply);

  setHandler(procedureAwaitingSignal, (awaiting) => incident.procedureAwaiting(awaiting));
  setHandler(procedureAwaitSettledSignal, (settled) => incident.procedureAwaitSettled(settled));

  setHandler(confirmSignal, (raw) => accept('confirm', confirmRequest, raw, (req) => incident.confirmBySignal(req)));
  setHandler(rejectSignal, (raw) => accept('reject', rejectRequest, raw, (req) => incident.rejectBySignal(req)));
  setHandler(confirmUpdate, (req) => incident.confirm(req), { validator: validatorOf(confirmRequest) });
  setHandler(rejectUpdate, (req) => incident.reject(req), { validator: validatorOf(rejectRequest) });

  setHandler(investigationResultSignal, (raw) =>
    accept('investigationResult', investigationResult, raw, (req) => incident.reportInvestigation(req)),
  );
  setHandler(escalateSignal, (raw) =>
    accept('escalate', escalateRequest, raw, (req) => incident.escalateSeverity(req)),
  );
  setHandler(abortSignal, (raw) => accept('abort', abortRequest, raw, (req) => incident.abort(req)));
  setHandler(alertSignal, (raw) => accept('alert', alertPayload, raw, (alert) => incident.alert(alert)));
  // A handler added, no command changed: histories recorded before it replay unchanged.
  setHandler(alertsSignal, (raw) =>
    accept('alerts', alertBatchPayload, raw, (batch) =>
      batch.alerts.forEach((one) => accept('alert', alertPayload, one, (alert) => incident.alert(alert))),
    ),
  );
  // A resolved alert is information, not a decision: it may end P2 monitoring (after a healthy
  // reading), and never cancels a wait for a person or a rollback.
  setHandler(alertResolvedSignal, (raw) =>
    accept('alertResolved', alertResolvedPayload, raw, (resolved) => incident.alertResolved(resolved)),
  );
  setHandler(checklistItemSignal, (raw) =>
    accept('checklistItem', checklistItemRequest, raw, (req) => incident.checklistItem(req)),
  );

  setHandler(statusQuery, () => incident.status());
  setHandler(checklistQuery, () => [...incident.checklist]);
  setHandler(timelineQuery, () => [...incident.timeline]);
}

function validatorOf<T>(schema: ZodType<T, ZodTypeDef, unknown>): (raw: T) => void {
  return (raw) => {
    const parsed = parseWith(schema, raw);
    if (!parsed.ok) throw new Error(`invalid request: ${parsed.message}`);
  };
}
