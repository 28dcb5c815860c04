// The trigger's Prometheus metrics, on a registry of its own (one per server, so tests can
// build several): requests by source and outcome, incidents started and signalled, latency.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface TriggerMetrics {
  registry: Registry;
  requests: Counter<'source' | 'outcome' | 'code'>;
  incidentsStarted: Counter<'source'>;
  incidentsSignalled: Counter<'source' | 'kind'>;
  latency: Histogram<'source'>;
  /** Alerts per signal-with-start: above 1 when concurrent alerts for one incident were coalesced. */
  alertsPerCall: Histogram;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): TriggerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'rollback_trigger_' });
  return {
    registry,
    requests: new Counter({
      name: 'rollback_trigger_requests_total',
      help: 'Requests by alert source and outcome (accepted, bad_request, unauthorized, ...)',
      labelNames: ['source', 'outcome', 'code'],
      registers: [registry],
    }),
    incidentsStarted: new Counter({
      name: 'rollback_trigger_incidents_started_total',
      help: 'Incidents started by an alert',
      labelNames: ['source'],
      registers: [registry],
    }),
    incidentsSignalled: new Counter({
      name: 'rollback_trigger_incidents_signalled_total',
      help: 'Alerts delivered to incidents (kind: alert for firing, resolved for resolved)',
      labelNames: ['source', 'kind'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'rollback_trigger_request_duration_seconds',
      help: 'Time from request to answer, by alert source',
      labelNames: ['source'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    alertsPerCall: new Histogram({
      name: 'rollback_trigger_alerts_per_temporal_call',
      help: 'Firing alerts carried by one signal-with-start (concurrent alerts for one incident share a call)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
}

const OUTCOMES: Record<number, string> = {
  200: 'ok',
  202: 'accepted',
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'replayed',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

export function outcomeOf(statusCode: number): string {
  return OUTCOMES[statusCode] ?? (statusCode >= 500 ? 'error' : 'other');
}
