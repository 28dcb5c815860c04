// Alertmanager's webhook_config payload, version 4: a group of firing and resolved alerts.
// https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
import { z } from 'zod';
import type { Catalog } from '../../config/catalog.js';
import { environmentFor, serviceByAlertmanagerLabels, signalsFrom, type Routed, type RoutedAlert } from '../alerts.js';

/** Truncated alerts are counted from the group's common labels, up to this many per delivery. */
export const MAX_TRUNCATED_ALERTS = 1000;

const labels = z.record(z.string());
const alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const alertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(alert),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayload>;
type AlertmanagerAlert = z.infer<typeof alert>;

function validStartsAt(startsAt: string | undefined): string | undefined {
  // Alertmanager sends RFC 3339 with nanoseconds; the incident wants an ISO date-time.
  if (!startsAt || startsAt.startsWith('0001-')) return undefined;
  const ms = Date.parse(startsAt);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function routeAlertmanager(catalog: Catalog, payload: AlertmanagerPayload): Routed {
  const routed: Routed = { alerts: [], unmatched: [], ignored: [] };
  const route = (a: AlertmanagerAlert, field: string) => {
    const name = a.labels.alertname ?? field;
    const service = serviceByAlertmanagerLabels(catalog, a.labels);
    if (!service) {
      routed.unmatched.push({ alert: name, reason: 'no catalog service matches its labels' });
      return;
    }
    const env = environmentFor(service, a.labels.env ?? a.labels.environment);
    if ('reason' in env) {
      routed.unmatched.push({ alert: name, reason: env.reason });
      return;
    }
    const summary = a.annotations.summary ?? a.annotations.description;
    const entry: RoutedAlert = {
      field,
      service,
      environment: env.environment,
      status: a.status,
      signals: signalsFrom(field, a.labels.severity, a.annotations, service),
      summary: `${name}${summary ? `: ${summary}` : ''}`,
      requestedBy: 'alertmanager',
      detectedAt: validStartsAt(a.startsAt),
    };
    routed.alerts.push(entry);
  };
  payload.alerts.forEach((a, i) => route(a, `alerts[${i}]`));
  // Alerts beyond the receiver's max_alerts are only counted: they share the group's common labels.
  const truncated = Math.min(payload.truncatedAlerts, MAX_TRUNCATED_ALERTS);
  const common: AlertmanagerAlert = {
    status: payload.status,
    labels: { ...payload.groupLabels, ...payload.commonLabels },
    annotations: payload.commonAnnotations,
  };
  if (truncated > 0) {
    const before = routed.alerts.length;
    route(common, 'truncatedAlerts');
    const entry = routed.alerts[before];
    for (let i = 1; entry && i < truncated; i++) routed.alerts.push(entry);
  }
  return routed;
}
