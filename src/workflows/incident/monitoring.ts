// P2, "Monitor, rollback if escalates": poll the error rate every few minutes until the 2-hour
// deadline. Crossing the P1 threshold escalates this same incident; otherwise it closes quietly.
import { describeErrorRateSource } from '../../domain/incident/channels.js';
import { round } from '../../domain/incident/announcements.js';
import { classifyIncident, type ErrorRateSource } from '../../domain/schemas/incidentRollback.js';
import { probes } from './activities.js';
import type { Incident } from './incident.js';
import { reason } from './notifier.js';

const MINUTE = 60_000;

export type MonitoringOutcome = 'escalated' | 'quiet' | 'aborted';

export async function monitorErrorRate(incident: Incident): Promise<MonitoringOutcome> {
  const until = incident.sla!.deadlineMs;
  const source = incident.input.monitoring?.errorRate;
  const everyMs = (incident.input.monitoring?.intervalMinutes ?? 5) * MINUTE;
  const end = new Date(until).toISOString();
  incident.enter(
    'monitoring',
    source
      ? `polling the ${describeErrorRateSource(source)} every ${everyMs / MINUTE} min until ${end}`
      : `watching alerts until ${end} (no error-rate source given)`,
  );
  while (Date.now() < until) {
    if (source) {
      const errorRatePct = await readErrorRate(incident, source);
      if (errorRatePct !== undefined) {
        const reading = classifyIncident({ errorRatePct }, incident.input.thresholds);
        const why = `error rate ${round(errorRatePct)}% from the ${describeErrorRateSource(source)}`;
        if (incident.raise(reading, 'error-rate monitor', why)) return 'escalated';
      }
    }
    const waited = await incident.waitFor(() => false, Math.min(everyMs, until - Date.now()));
    if (waited === 'severity-changed') return 'escalated';
    if (waited === 'aborted') return 'aborted';
  }
  return 'quiet';
}

/** One reading, recorded in the timeline; undefined (and recorded) when the probe failed. */
export async function readErrorRate(incident: Incident, source: ErrorRateSource): Promise<number | undefined> {
  try {
    const reading = await probes.probeErrorRate(source);
    incident.record('error-rate', `error rate ${round(reading.errorRatePct)}% (${reading.source}: ${reading.detail})`);
    return reading.errorRatePct;
  } catch (error) {
    incident.record('error-rate', `error-rate probe failed: ${reason(error)}`);
    return undefined;
  }
}
