// The severity's deadline as durable timers: at 80% a warning, at the deadline (if the rollback
// has not finished) SlaBreached, an escalation paged again every `repageMinutes` until the
// rollback finishes, and the incident carries on. A new severity re-arms the timers from its
// own deadline. The loop ends when the incident settles, its body ends, or at its overall limit.
// It runs alongside the body and is joined with it (`alongside`), so an error in it fails the
// incident at once instead of floating.
import { condition } from '@temporalio/workflow';
import {
  slaBreachTimerSummary,
  slaRepageTimerSummary,
  slaWarningTimerSummary,
} from '../../domain/incident/summaries.js';
import type { Incident } from './incident.js';

export const SLA_WARNING_FRACTION = 0.8;
const MINUTE = 60_000;

export async function enforceSla(incident: Incident): Promise<void> {
  for (;;) {
    const revision = incident.revision;
    const settled = () => incident.ended || incident.closed || incident.rollbackFinishedMs !== undefined;
    const replan = () => settled() || incident.revision !== revision;
    const sla = incident.sla;
    if (sla?.enforced) {
      const warnAt = sla.fromMs + SLA_WARNING_FRACTION * (sla.deadlineMs - sla.fromMs);
      const severity = incident.severity;
      const warning = slaWarningTimerSummary(severity);
      if (!(await sleepUntilUnless(incident, warnAt, replan, warning))) incident.warnSla(sla.deadlineMs);
      if (!(await sleepUntilUnless(incident, sla.deadlineMs, replan, slaBreachTimerSummary(severity)))) {
        incident.breachSla(sla.deadlineMs, 1);
        const repage = slaRepageTimerSummary(severity, incident.input.repageMinutes);
        for (let page = 2; ; page += 1) {
          const at = Date.now() + incident.input.repageMinutes * MINUTE;
          if (await sleepUntilUnless(incident, at, replan, repage)) break;
          incident.breachSla(sla.deadlineMs, page);
        }
      }
    }
    // No timer for the overall limit here: the incident's own wait ends it and sets `ended`.
    await condition(replan);
    if (settled()) return;
  }
}

/** Sleeps until `atMs` (a timer named `summary` in the Web UI); true when `unless` became true first. */
async function sleepUntilUnless(
  incident: Incident,
  atMs: number,
  unless: () => boolean,
  summary: string,
): Promise<boolean> {
  if (unless()) return true;
  if (atMs >= incident.expiresAtMs) {
    // Nothing fires at or past the incident's limit: the incident closes `expired` itself. No
    // timer either: one due at the same instant as the incident's own would be cancelled in the
    // task where that one fires, which the time-skipping test server refuses and then stalls on
    // (sdk-java#2606); the real server accepts it.
    await condition(unless);
    return true;
  }
  const ms = atMs - Date.now();
  return ms <= 0 ? false : condition(unless, ms, { summary });
}
