// `POST /v1/incidents`: an incident asked for by a person or a script, in plain JSON. The
// service must be in the catalog; its procedures are used unless the request gives its own.
import { z } from 'zod';
import { findService, type Catalog } from '../../config/catalog.js';
import { BadAlert, environmentFor, type Routed } from '../alerts.js';

export const plainIncidentRequest = z
  .object({
    service: z.string().trim().min(1),
    environment: z.string().trim().min(1).optional(),
    severity: z.enum(['P0', 'P1', 'P2', 'P3']).optional(),
    outage: z.boolean().optional(),
    errorRatePct: z.number().min(0).optional(),
    latencyDegradationPct: z.number().min(0).optional(),
    reason: z.string().trim().min(1, 'must say what is wrong'),
    requestedBy: z.string().trim().min(1, 'must name a person'),
    detectedAt: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
    procedures: z
      .array(z.object({ type: z.string().min(1), input: z.record(z.unknown()).default({}) }).strict())
      .min(1)
      .optional(),
  })
  .strict()
  .refine((r) => [r.severity, r.outage, r.errorRatePct, r.latencyDegradationPct].some((v) => v !== undefined), {
    path: ['severity'],
    message: 'give a severity (P0-P3) or an observed signal (outage, errorRatePct, latencyDegradationPct)',
  });
export type PlainIncidentRequest = z.infer<typeof plainIncidentRequest>;

export function routePlain(catalog: Catalog, request: PlainIncidentRequest): Routed {
  const service = findService(catalog, request.service);
  // Not quoted: the field may hold anything the sender pasted, and the sender knows what it sent.
  if (!service) throw new BadAlert('service', 'not in the service catalog');
  const env = environmentFor(service, request.environment);
  if ('reason' in env) throw new BadAlert('environment', env.reason);
  const { severity, outage, errorRatePct, latencyDegradationPct } = request;
  return {
    alerts: [
      {
        service,
        environment: env.environment,
        status: 'firing',
        signals: { severity, outage, errorRatePct, latencyDegradationPct },
        summary: request.reason,
        requestedBy: request.requestedBy,
        detectedAt: request.detectedAt,
        procedures: request.procedures,
      },
    ],
    unmatched: [],
    ignored: [],
  };
}
