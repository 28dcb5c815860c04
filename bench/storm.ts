// Goal 3 of issue 13: an alert storm. 5,000 Alertmanager alerts for 50 services, posted to the
// trigger within ~10 s (one alert per delivery, the worst grouping), paced evenly with a bound on
// requests in flight. Counts incidents (distinct runs), the alerts the incidents counted
// themselves (their `status` query), the trigger's answer times and 5xx answers.
import type { Client } from '@temporalio/client';
import { incidentWorkflowId } from '../src/domain/schemas/incidentRollback.js';
import type { IncidentStatus } from '../src/workflows/incident/types.js';
import { BENCH_ENVIRONMENT, postAlerts } from './support/stack.js';

export interface StormResult {
  posts: number;
  alerts: number;
  wallMs: number;
  latencies: number[];
  serverErrors: number;
  otherRefusals: number;
  incidents: number;
  alertsCounted: number;
}

/** A P1 (errors > 5%): planned, then waiting for a person, so the storm changes nothing. */
const errorAlert = (service: string, i: number) => ({
  labels: { alertname: 'HighErrorRate', service, severity: 'critical', instance: `pod-${i}` },
  annotations: { errorRatePct: '12', summary: `${service} errors above 5%` },
});

export async function alertStorm(
  client: Client,
  triggerUrl: string,
  services: string[],
  options: { alerts: number; seconds: number; inFlight: number },
): Promise<StormResult> {
  const latencies: number[] = [];
  const runIds = new Set<string>();
  let serverErrors = 0;
  let otherRefusals = 0;
  const started = performance.now();
  const intervalMs = (options.seconds * 1000) / options.alerts;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= options.alerts) return;
        const due = started + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          const posted = await postAlerts(triggerUrl, [errorAlert(services[i % services.length]!, i)]);
          latencies.push(posted.ms);
          if (posted.status >= 500) serverErrors += 1;
          else if (posted.status !== 202) otherRefusals += 1;
          for (const incident of posted.body.incidents ?? []) runIds.add(incident.runId);
        } catch {
          serverErrors += 1; // no answer at all: as bad as a 5xx for the sender
        }
      }
    }),
  );
  const wallMs = performance.now() - started;

  // Signals are delivered before the trigger answers 202, so the counts are final once handled.
  let alertsCounted = 0;
  for (const service of services) {
    const handle = client.workflow.getHandle(incidentWorkflowId(BENCH_ENVIRONMENT, service));
    const deadline = Date.now() + 60_000;
    let alerts = 0;
    for (;;) {
      alerts = (await handle.query<IncidentStatus>('status').catch(() => undefined))?.alerts ?? alerts;
      if (alerts >= options.alerts / services.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    alertsCounted += alerts;
  }
  return {
    posts: options.alerts,
    alerts: options.alerts,
    wallMs,
    latencies,
    serverErrors,
    otherRefusals,
    incidents: runIds.size,
    alertsCounted,
  };
}
