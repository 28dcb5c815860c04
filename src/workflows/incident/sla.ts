// The severity's deadline as durable timers: at 80% a warning, at the deadline (if the rollback
// has not finished) SlaBreached, an escalation, and the incident carries on. A new severity
// re-arms both timers from its own deadline.
import { condition } from '@temporalio/workflow';
import { renderSlaBreach, renderSlaWarning } from '../../domain/incident/announcements.js';
import type { Incident } from './incident.js';

export const SLA_WARNING_FRACTION = 0.8;

export async function enforceSla(incident: Incident): Promise<void> {
  for (;;) {
    const revision = incident.revision;
    const settled = () => incident.closed || incident.rollbackFinishedMs !== undefined;
    const replan = () => settled() || incident.revision !== revision;
    const sla = incident.sla;
    if (sla?.enforced) {
      const warnAt = sla.fromMs + SLA_WARNING_FRACTION * (sla.deadlineMs - sla.fromMs);
      if (!(await sleepUntilUnless(warnAt, replan))) warn(incident, sla.deadlineMs);
      if (!(await sleepUntilUnless(sla.deadlineMs, replan))) breach(incident, sla.deadlineMs);
    }
    await condition(replan);
    if (settled()) return;
  }
}

/** Sleeps until `atMs`; true when `unless` became true first. */
async function sleepUntilUnless(atMs: number, unless: () => boolean): Promise<boolean> {
  if (unless()) return true;
  const ms = atMs - Date.now();
  if (ms <= 0) return false;
  return condition(unless, ms);
}

function warn(incident: Incident, deadlineMs: number): void {
  const deadline = new Date(deadlineMs).toISOString();
  const minutesLeft = Math.max(0, Math.round((deadlineMs - Date.now()) / 60_000));
  incident.slaWarned = true;
  incident.record(
    'sla-warning',
    `80% of the ${incident.severity} deadline used: ${minutesLeft} minutes left (${deadline})`,
  );
  incident.notifier.send('sla-warning', renderSlaWarning(incident.header, deadline, minutesLeft), incident.channels);
}

function breach(incident: Incident, deadlineMs: number): void {
  const deadline = new Date(deadlineMs).toISOString();
  incident.markSlaBreached();
  incident.record(
    'sla-breached',
    `${incident.severity} deadline ${deadline} passed while ${incident.phase}: escalated`,
  );
  const text = renderSlaBreach(incident.header, deadline, incident.phase);
  incident.notifier.send('sla-breach', text, incident.escalationChannels);
}
