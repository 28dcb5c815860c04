// P2, "Monitor, rollback if escalates": poll the error rate (and the latency, when a latency
// source is given) every few minutes until the 2-hour deadline. Crossing a threshold escalates
// this same incident; a health URL that stops answering K times in a row is a complete outage
// (P0), as is a reading of 100% errors. Otherwise it closes quietly.
import { describeErrorRateSource } from '../../domain/incident/channels.js';
import { round } from '../../domain/incident/announcements.js';
import { monitorTimerSummary, probeSummary } from '../../domain/incident/summaries.js';
import { classifyIncident, type ErrorRateSource, type LatencySource } from '../../domain/schemas/incidentRollback.js';
import { probes } from './activities.js';
import type { Incident } from './incident.js';
import { reason } from './notifier.js';

const MINUTE = 60_000;

export type MonitoringOutcome = 'escalated' | 'quiet' | 'resolved' | 'aborted' | 'expired';

export async function monitorErrorRate(incident: Incident): Promise<MonitoringOutcome> {
  const until = incident.sla!.deadlineMs;
  const monitoring = incident.input.monitoring;
  const source = monitoring?.errorRate;
  const everyMs = (monitoring?.intervalMinutes ?? 5) * MINUTE;
  const outageAfter = monitoring?.failedProbesForOutage ?? 3;
  const end = new Date(until).toISOString();
  incident.startMonitoring(
    source
      ? `polling the ${describeErrorRateSource(source)} every ${everyMs / MINUTE} min until ${end}`
      : `watching alerts until ${end} (no error-rate source given)`,
  );
  let failedInARow = 0;
  const resolvedBefore = incident.alertsResolved;
  while (Date.now() < until) {
    // A resolved alert ends monitoring only after this round's readings stayed below escalation.
    const resolved = incident.alertsResolved > resolvedBefore;
    if (source) {
      const errorRatePct = await readErrorRate(incident, source);
      failedInARow = errorRatePct === undefined ? failedInARow + 1 : 0;
      const reading =
        failedInARow >= outageAfter
          ? classifyIncident({ outage: true }, incident.input.thresholds)
          : errorRatePct !== undefined
            ? classifyIncident({ errorRatePct }, incident.input.thresholds)
            : undefined;
      const why =
        failedInARow >= outageAfter
          ? `${failedInARow} failed probes in a row of the ${describeErrorRateSource(source)}: counted as a complete outage`
          : `error rate ${round(errorRatePct ?? 0)}% from the ${describeErrorRateSource(source)}`;
      if (reading && incident.raise(reading, 'error-rate monitor', why)) return 'escalated';
    }
    if (monitoring?.latency) {
      const latencyMs = await readLatency(incident, monitoring.latency);
      if (latencyMs !== undefined) {
        const degradation = ((latencyMs - monitoring.latency.thresholdMs) / monitoring.latency.thresholdMs) * 100;
        const reading = classifyIncident(
          { latencyDegradationPct: Math.max(0, degradation) },
          incident.input.thresholds,
        );
        const why = `latency ${round(latencyMs)} ms, ${round(degradation)}% over ${monitoring.latency.thresholdMs} ms`;
        if (incident.raise(reading, 'latency monitor', why)) return 'escalated';
      }
    }
    if (resolved && failedInARow === 0) return 'resolved';
    const nextMs = Math.min(everyMs, until - Date.now());
    const waited = await incident.waitFor(
      () => !resolved && incident.alertsResolved > resolvedBefore,
      nextMs,
      monitorTimerSummary(Math.ceil(nextMs / MINUTE)),
    );
    if (waited === 'severity-changed') return 'escalated';
    if (waited === 'aborted' || waited === 'expired') return waited;
  }
  return 'quiet';
}

/** One reading, recorded in the timeline; undefined (and recorded) when the probe failed. */
export async function readErrorRate(incident: Incident, source: ErrorRateSource): Promise<number | undefined> {
  try {
    const summary = probeSummary('error-rate', describeErrorRateSource(source));
    const reading = await probes.probeErrorRate.executeWithOptions({ summary }, [source]);
    incident.record('error-rate', `error rate ${round(reading.errorRatePct)}% (${reading.source}: ${reading.detail})`);
    return reading.errorRatePct;
  } catch (error) {
    incident.record('error-rate', `error-rate probe failed: ${reason(error)}`);
    return undefined;
  }
}

export async function readLatency(incident: Incident, source: LatencySource): Promise<number | undefined> {
  try {
    const summary = probeSummary('latency', describeErrorRateSource(source));
    const reading = await probes.probeLatency.executeWithOptions({ summary }, [source]);
    incident.record('latency', `latency ${round(reading.latencyMs)} ms (${reading.source}: ${reading.detail})`);
    return reading.latencyMs;
  } catch (error) {
    incident.record('latency', `latency probe failed: ${reason(error)}`);
    return undefined;
  }
}
