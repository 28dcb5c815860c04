// The two P1 waits of the decision matrix: "rollback after confirmation" (with a policy for no
// answer) and "rollback after investigation". Either wait also ends on a new severity or an abort.
import { renderConfirmationRequest, renderInvestigationRequest } from '../../domain/incident/announcements.js';
import type { Decisions } from './humanInput.js';
import type { Incident } from './incident.js';

const MINUTE = 60_000;

export type ApprovalOutcome = 'confirmed' | 'rejected' | 'aborted' | 'severity-changed';

export async function waitForApprovalOrTimeout(incident: Incident, decisions: Decisions): Promise<ApprovalOutcome> {
  const { timeoutMinutes, onTimeout } = incident.input.confirmation;
  incident.enter(
    'awaiting-confirmation',
    `waiting for confirm or reject (no answer in ${timeoutMinutes} min: ${onTimeout})`,
  );
  incident.announce(
    'confirmation-request',
    renderConfirmationRequest(incident.header, incident.input.reason, incident.deadlineIso() ?? 'none'),
  );
  const answered = () => decisions.approval !== undefined;
  let waited = await incident.waitFor(answered, timeoutMinutes * MINUTE);
  if (waited === 'timeout') {
    incident.record('confirmation-timeout', `no confirm or reject within ${timeoutMinutes} minutes: ${onTimeout}`);
    switch (onTimeout) {
      case 'rollback':
        return 'confirmed';
      case 'abort':
        return 'aborted';
      case 'escalate':
        // Keep waiting: the SLA timer escalates again at the deadline.
        incident.escalate(`no confirm or reject within ${timeoutMinutes} minutes`, 'confirm or reject');
        incident.currentStep = 'waiting for confirm or reject (escalated)';
        waited = await incident.waitFor(answered);
    }
  }
  if (waited !== 'done') return waited as ApprovalOutcome;
  return decisions.approval!.decision;
}

export type InvestigationOutcome = 'rollback' | 'no-rollback' | 'aborted' | 'severity-changed';

export async function waitForInvestigation(incident: Incident, decisions: Decisions): Promise<InvestigationOutcome> {
  incident.enter('awaiting-investigation', 'waiting for investigationResult { rollback, by, notes }');
  incident.announce(
    'investigation-request',
    renderInvestigationRequest(incident.header, incident.input.reason, incident.deadlineIso() ?? 'none'),
  );
  const waited = await incident.waitFor(() => decisions.investigation !== undefined);
  if (waited !== 'done') return waited as InvestigationOutcome;
  return decisions.investigation!.rollback ? 'rollback' : 'no-rollback';
}
