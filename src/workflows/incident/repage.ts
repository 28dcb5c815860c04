// An escalation nobody answers is paged again every `repageMinutes` until it is answered, the
// incident changes course, or the incident's overall limit passes: a page is never sent once
// and forgotten.
import { repageTimerSummary } from '../../domain/incident/summaries.js';
import type { Incident, WaitOutcome } from './incident.js';

const MINUTE = 60_000;

export async function waitPaging(
  incident: Incident,
  done: () => boolean,
  why: string,
  waitingFor: string,
): Promise<WaitOutcome> {
  incident.escalate(why, waitingFor);
  const summary = repageTimerSummary(incident.input.repageMinutes, waitingFor);
  for (let page = 2; ; page += 1) {
    const waited = await incident.waitFor(done, incident.input.repageMinutes * MINUTE, summary);
    if (waited !== 'timeout') return waited;
    incident.escalate(`${why} (page ${page}: still unanswered)`, waitingFor);
  }
}
