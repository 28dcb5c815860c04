// What every alert source is turned into before anything is started: a service of the catalog,
// an environment, firing or resolved, and decision-matrix signals. The mapping choices are
// documented in docs/trigger.md ("Signal mapping").
import type { Catalog, CatalogService } from '../config/catalog.js';
import { isMoreSevere, type Severity } from '../domain/decisionMatrix.js';
import { classifyIncident, type IncidentRollbackInput } from '../domain/schemas/incidentRollback.js';
import type { AlertSignals } from './incidentInput.js';

export type TriggerSource = 'alertmanager' | 'pagerduty' | 'sns' | 'incidents';

export interface RoutedAlert {
  /** Where in the request it came from (`alerts[3]`), for a 400 that names the field. */
  field?: string;
  service: CatalogService;
  environment: string;
  status: 'firing' | 'resolved';
  signals: AlertSignals;
  /** One line for the incident timeline: the alert's name and summary. */
  summary: string;
  /** Who raised it: `alertmanager`, `pagerduty`, `cloudwatch`, or the requester. */
  requestedBy: string;
  detectedAt?: string;
  procedures?: { type: string; input?: Record<string, unknown> }[];
}

export interface UnmatchedAlert {
  alert: string;
  reason: string;
}

export interface Routed {
  alerts: RoutedAlert[];
  unmatched: UnmatchedAlert[];
  /** Well-formed deliveries that are not alerts (PagerDuty acknowledgements, OK->INSUFFICIENT_DATA). */
  ignored: UnmatchedAlert[];
}

/** Bad input, answered 400 with `field: message`; nothing is started or signalled. */
export class BadAlert extends Error {
  constructor(field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** Severity words of alerting rules (Alertmanager `severity`, PagerDuty urgency) -> runbook severity. */
const SEVERITY_WORDS: Record<string, Severity> = {
  p0: 'P0',
  p1: 'P1',
  p2: 'P2',
  p3: 'P3',
  critical: 'P1',
  page: 'P1',
  high: 'P1',
  error: 'P1',
  warning: 'P2',
  warn: 'P2',
  low: 'P2',
  info: 'P3',
  none: 'P3',
};

/** The runbook severity a word names, or undefined for words it does not know. */
export function severityFromWord(word: string | undefined): Severity | undefined {
  return word === undefined ? undefined : SEVERITY_WORDS[word.trim().toLowerCase()];
}

function numberField(field: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value.trim().replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new BadAlert(field, `must be a number of 0 or more, got "${value}"`);
  return n;
}

function booleanField(field: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new BadAlert(field, `must be true or false, got "${value}"`);
}

/**
 * Signals from an alert's severity word and its `outage`/`errorRatePct`/`latencyDegradationPct`
 * annotations. Measured signals are passed on (the incident classifies them with the service's
 * thresholds); a known severity word becomes the severity unless the measurements say worse;
 * with neither, the service's `defaultSeverity`.
 */
export function signalsFrom(
  field: string,
  severityWord: string | undefined,
  annotations: Record<string, string | undefined>,
  service: CatalogService,
): AlertSignals {
  const signals: AlertSignals = {
    outage: booleanField(`${field}.annotations.outage`, annotations.outage),
    errorRatePct: numberField(`${field}.annotations.errorRatePct`, annotations.errorRatePct),
    latencyDegradationPct: numberField(`${field}.annotations.latencyDegradationPct`, annotations.latencyDegradationPct),
  };
  const measured =
    signals.outage !== undefined || signals.errorRatePct !== undefined || signals.latencyDegradationPct !== undefined;
  const word = severityFromWord(severityWord);
  if (!word) {
    if (!measured) signals.severity = service.defaultSeverity;
    return signals;
  }
  // A label never lowers a measurement: the more severe of the two (the incident re-checks it).
  const thresholds = service.thresholds as IncidentRollbackInput['thresholds'];
  const fromMeasurement = measured ? classifyIncident(signals, thresholds).severity : undefined;
  signals.severity = fromMeasurement && isMoreSevere(fromMeasurement, word) ? fromMeasurement : word;
  return signals;
}

/** The environment an alert names if it is one of the service's, else the service's default. */
export function environmentFor(
  service: CatalogService,
  named: string | undefined,
): { environment: string } | { reason: string } {
  if (named === undefined || named === '') return { environment: service.environments[0]! };
  if (service.environments.includes(named)) return { environment: named };
  return { reason: `environment "${named}" is not one of ${service.name}'s (${service.environments.join(', ')})` };
}

export function serviceByAlertmanagerLabels(catalog: Catalog, labels: Record<string, string>) {
  return catalog.services.find((s) => {
    const wanted = s.match.alertmanager;
    return wanted !== undefined && Object.entries(wanted).every(([k, v]) => labels[k] === v);
  });
}

export function serviceByPagerDuty(catalog: Catalog, serviceId: string | undefined, serviceName: string | undefined) {
  return catalog.services.find((s) => {
    const m = s.match.pagerduty;
    if (!m) return false;
    return (
      (m.serviceId !== undefined && m.serviceId === serviceId) ||
      (m.serviceName !== undefined && m.serviceName === serviceName)
    );
  });
}

export function serviceByAlarmName(catalog: Catalog, alarmName: string) {
  return catalog.services.find((s) => {
    const prefix = s.match.cloudwatch?.alarmNamePrefix;
    return prefix !== undefined && alarmName.startsWith(prefix);
  });
}
