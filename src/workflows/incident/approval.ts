// The two P1 waits of the decision matrix: "rollback after confirmation" (with a policy for no
// answer) and "rollback after investigation". Both are bounded: after their timeout they
// escalate and page again every `repageMinutes`, and the incident's overall limit ends them.
import { renderConfirmationRequest, renderInvestigationRequest } from '../../domain/incident/announcements.js';
import { describeChange } from '../../domain/incident/procedures.js';
import { confirmationTimeoutSummary, investigationTimeoutSummary } from '../../domain/incident/summaries.js';
import type { Incident } from './incident.js';
import { waitPaging } from './repage.js';

const MINUTE = 60_000;

export type ApprovalOutcome = 'confirmed' | 'rejected' | 'aborted' | 'severity-changed' | 'expired';

/** The concrete change a confirmation approves: each procedure's plan. */
export function plannedChanges(incident: Incident): string[] {
  return incident.procedures.map((p) => `${p.target}: ${p.plan ? describeChange(p.plan) : 'not planned'}`);
}

export async function waitForApprovalOrTimeout(incident: Incident): Promise<ApprovalOutcome> {
  const { timeoutMinutes } = incident.input.confirmation;
  // A re-fired alert or an unconfirmed raise never rolls back on its own, whatever the policy.
  const onTimeout =
    incident.needsPerson && incident.input.confirmation.onTimeout === 'rollback'
      ? 'escalate'
      : incident.input.confirmation.onTimeout;
  incident.awaitConfirmation(`waiting for confirm or reject (no answer in ${timeoutMinutes} min: ${onTimeout})`);
  incident.announce(
    'confirmation-request',
    renderConfirmationRequest(incident.header, incident.input.reason, incident.deadlineIso() ?? 'none', {
      changes: plannedChanges(incident),
      refire: incident.refire,
    }),
  );
  const answered = () => incident.approval !== undefined;
  let waited = await incident.waitFor(
    answered,
    timeoutMinutes * MINUTE,
    confirmationTimeoutSummary(timeoutMinutes, onTimeout),
  );
  if (waited === 'timeout') {
    incident.record('confirmation-timeout', `no confirm or reject within ${timeoutMinutes} minutes: ${onTimeout}`);
    switch (onTimeout) {
      case 'rollback':
        return 'confirmed';
      case 'abort':
        return 'aborted';
      case 'escalate':
        incident.showStep('waiting for confirm or reject (escalated)');
        waited = await waitPaging(
          incident,
          answered,
          `no confirm or reject within ${timeoutMinutes} minutes`,
          'confirm or reject',
        );
    }
  }
  if (waited !== 'done') return waited as ApprovalOutcome;
  return incident.approval!.decision;
}

export type InvestigationOutcome = 'rollback' | 'no-rollback' | 'aborted' | 'severity-changed' | 'expired';

export async function waitForInvestigation(incident: Incident): Promise<InvestigationOutcome> {
  const { timeoutMinutes, onTimeout } = incident.input.investigation;
  incident.awaitInvestigation(
    `waiting for investigationResult { rollback, by, notes } (${timeoutMinutes} min: ${onTimeout})`,
  );
  incident.announce(
    'investigation-request',
    renderInvestigationRequest(incident.header, incident.input.reason, incident.deadlineIso() ?? 'none'),
  );
  const reported = () => incident.investigation !== undefined;
  let waited = await incident.waitFor(
    reported,
    timeoutMinutes * MINUTE,
    investigationTimeoutSummary(timeoutMinutes, onTimeout),
  );
  if (waited === 'timeout') {
    incident.record('confirmation-timeout', `no investigation result within ${timeoutMinutes} minutes: ${onTimeout}`);
    if (onTimeout === 'abort') return 'aborted';
    incident.showStep('waiting for investigationResult (escalated)');
    waited = await waitPaging(
      incident,
      reported,
      `no investigation result within ${timeoutMinutes} minutes`,
      'investigationResult { rollback, by }',
    );
  }
  if (waited !== 'done') return waited as InvestigationOutcome;
  return incident.investigation!.rollback ? 'rollback' : 'no-rollback';
}
