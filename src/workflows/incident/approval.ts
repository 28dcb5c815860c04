// The two P1 waits of the decision matrix: "rollback after confirmation" (with a policy for no
// answer) and "rollback after investigation". Both are bounded: after their timeout they
// escalate and page again every `repageMinutes`, and the incident's overall limit ends them.
import { renderConfirmationRequest, renderInvestigationRequest } from '../../domain/incident/announcements.js';
import { describeChange } from '../../domain/incident/procedures.js';
import { confirmationTimeoutSummary, investigationTimeoutSummary } from '../../domain/incident/summaries.js';
import type { Incident, WaitOutcome } from './incident.js';
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
  const waited = await waitThenPage(
    incident,
    {
      answered: () => incident.approval !== undefined,
      timeoutMinutes,
      onTimeout,
      timer: confirmationTimeoutSummary(timeoutMinutes, onTimeout),
      missing: 'confirm or reject',
      asked: 'confirm or reject',
      paged: 'confirm or reject',
    },
    () => (onTimeout === 'rollback' ? 'confirmed' : onTimeout === 'abort' ? 'aborted' : undefined),
  );
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
  const waited = await waitThenPage(
    incident,
    {
      answered: () => incident.investigation !== undefined,
      timeoutMinutes,
      onTimeout,
      timer: investigationTimeoutSummary(timeoutMinutes, onTimeout),
      missing: 'investigation result',
      asked: 'investigationResult',
      paged: 'investigationResult { rollback, by }',
    },
    () => (onTimeout === 'abort' ? 'aborted' : undefined),
  );
  if (waited !== 'done') return waited as InvestigationOutcome;
  return incident.investigation!.rollback ? 'rollback' : 'no-rollback';
}

interface PersonWait {
  answered: () => boolean;
  timeoutMinutes: number;
  /** The input's policy for no answer, as the timeline names it. */
  onTimeout: string;
  /** The timer's summary in the Web UI. */
  timer: string;
  /** What did not come: "no <missing> within N minutes". */
  missing: string;
  /** What the escalated step waits for, and what the pages ask for. */
  asked: string;
  paged: string;
}

/**
 * Waits for a person up to the timeout; after it, `timedOut` applies the policy: an outcome ends
 * the wait, undefined escalates and pages again until someone answers.
 */
async function waitThenPage<T extends string>(
  incident: Incident,
  wait: PersonWait,
  timedOut: () => T | undefined,
): Promise<WaitOutcome | T> {
  const waited = await incident.waitFor(wait.answered, wait.timeoutMinutes * MINUTE, wait.timer);
  if (waited !== 'timeout') return waited;
  const noAnswer = `no ${wait.missing} within ${wait.timeoutMinutes} minutes`;
  incident.record('confirmation-timeout', `${noAnswer}: ${wait.onTimeout}`);
  const decided = timedOut();
  if (decided !== undefined) return decided;
  incident.showStep(`waiting for ${wait.asked} (escalated)`);
  return waitPaging(incident, wait.answered, noAnswer, wait.paged);
}
