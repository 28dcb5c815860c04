// PagerDuty Webhooks v3: one event per delivery, signed with HMAC-SHA256 of the raw body.
// https://developer.pagerduty.com/docs/webhooks-overview
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from '../../config/catalog.js';
import { environmentFor, serviceByPagerDuty, severityFromWord, signalsFrom, type Routed } from '../alerts.js';

const FIRING = new Set(['incident.triggered', 'incident.escalated', 'incident.reopened', 'incident.priority_updated']);
const RESOLVED = new Set(['incident.resolved']);

export const pagerDutyPayload = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    data: z
      .object({
        id: z.string().optional(),
        title: z.string().optional(),
        urgency: z.string().optional(),
        priority: z.object({ summary: z.string().optional() }).nullish(),
        service: z.object({ id: z.string().optional(), summary: z.string().optional() }).nullish(),
        created_at: z.string().optional(),
      })
      .passthrough(),
  }),
});
export type PagerDutyPayload = z.infer<typeof pagerDutyPayload>;

/** True when one of the `v1=` signatures is the HMAC of `rawBody` under one of the secrets. */
export function pagerDutySignatureValid(rawBody: string, header: string | undefined, secrets: string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const given = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => Buffer.from(s.slice(3), 'hex'));
  let valid = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
    // Every pair is compared (no early exit), so the time says nothing about which one matched.
    for (const signature of given) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
    }
  }
  return valid;
}

export function routePagerDuty(catalog: Catalog, payload: PagerDutyPayload): Routed {
  const routed: Routed = { alerts: [], unmatched: [], ignored: [] };
  const { event } = payload;
  const data = event.data;
  const name = data.title ?? data.id ?? event.id;
  const firing = FIRING.has(event.event_type);
  if (!firing && !RESOLVED.has(event.event_type)) {
    routed.ignored.push({ alert: name, reason: `event type ${event.event_type} neither fires nor resolves` });
    return routed;
  }
  const service = serviceByPagerDuty(catalog, data.service?.id ?? undefined, data.service?.summary ?? undefined);
  if (!service) {
    const which = data.service?.id ?? data.service?.summary ?? '(none)';
    routed.unmatched.push({ alert: name, reason: `no catalog service matches PagerDuty service ${which}` });
    return routed;
  }
  const env = environmentFor(service, service.match.pagerduty?.environment);
  if ('reason' in env) {
    routed.unmatched.push({ alert: name, reason: env.reason });
    return routed;
  }
  // A priority named like the runbook's (P0-P3) wins over the urgency (high -> P1, low -> P2).
  const priority = data.priority?.summary;
  const word = severityFromWord(priority) && /^P[0-3]$/i.test(priority ?? '') ? priority : data.urgency;
  routed.alerts.push({
    service,
    environment: env.environment,
    status: firing ? 'firing' : 'resolved',
    signals: signalsFrom('event.data', word, {}, service),
    summary: `PagerDuty ${event.event_type}: ${name}`,
    requestedBy: 'pagerduty',
    detectedAt: new Date(Date.parse(event.occurred_at)).toISOString(),
  });
  return routed;
}
