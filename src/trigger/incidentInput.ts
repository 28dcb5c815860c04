// The incident input an alert amounts to: the catalog entry of the service plus what the alert
// observed. The one place that knows the incident input's shape on the trigger side, so a new
// incident field (refireWindowMinutes, dryRun, ...) is one edit here.
import type { CatalogService } from '../config/catalog.js';
import type { Severity } from '../domain/decisionMatrix.js';

/** What an alert observed, in the decision matrix's terms. */
export interface AlertSignals {
  severity?: Severity;
  outage?: boolean;
  errorRatePct?: number;
  latencyDegradationPct?: number;
}

export interface IncidentRequest {
  reason: string;
  requestedBy: string;
  detectedAt?: string;
  /** Procedures given with the request (plain JSON); the catalog's otherwise. */
  procedures?: { type: string; input?: Record<string, unknown> }[];
}

/** Replaces `${environment}` (and `${service}`) in every string of a procedure input. */
export function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

/** `${environment}` and `${service}` in the catalog's checks, as in its procedure inputs. */
function substituteVerification(
  verification: Record<string, unknown> | undefined,
  vars: Record<string, string>,
): Record<string, unknown> | undefined {
  return verification === undefined ? undefined : (substitute(verification, vars) as Record<string, unknown>);
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The `incidentRollback` input for `service` in `environment`; startOrSignalIncident validates it. */
export function incidentInputFor(
  service: CatalogService,
  environment: string,
  signals: AlertSignals,
  request: IncidentRequest,
): Record<string, unknown> {
  const vars = { environment, service: service.name };
  const procedures = (request.procedures ?? service.procedures).map((p) => ({
    type: p.type,
    input: substitute(p.input ?? {}, vars),
  }));
  // Channels are references by name; the worker resolves them from the catalog's `channels:`.
  const notify =
    service.channels.length + service.escalation.length > 0
      ? {
          channels: service.channels.map((channel) => ({ channel })),
          escalation: service.escalation.map((channel) => ({ channel })),
        }
      : undefined;
  return defined({
    service: service.name,
    environment,
    ...defined({ ...signals }),
    procedures,
    reason: request.reason,
    requestedBy: request.requestedBy,
    detectedAt: request.detectedAt,
    incidentCommander: service.incidentCommander,
    approvers: service.approvers,
    notify,
    confirmation: service.confirmation,
    monitoring: service.monitoring,
    verification: substituteVerification(service.verification, vars),
    thresholds: service.thresholds,
  });
}
