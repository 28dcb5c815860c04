// From routed alerts to Temporal: every input is built and validated first (a bad one answers
// 400 and nothing is started or signalled), then each firing alert is signalled-with-start into
// `rollback-<environment>-<service>` (concurrent alerts for one incident share one call: see
// coalescer.ts) and each resolved one signalled to the running incident.
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandleWithSignaledRunId,
} from '@temporalio/client';
import { isMoreSevere, type Severity } from '../domain/decisionMatrix.js';
import {
  classifyIncident,
  incidentRollbackInput,
  incidentWorkflowId,
  MAX_ALERTS_PER_SIGNAL,
  type AlertSignal,
  type IncidentRollbackInput,
} from '../domain/schemas/incidentRollback.js';
import { procedureInputErrors } from '../domain/procedures/registry.js';
import { parseWith } from '../domain/validation.js';
import { alertFromInput, signalWithStartAlerts } from '../incidents/startOrSignalIncident.js';
import type { incidentRollback } from '../workflows/incidentRollback.js';
import { BadAlert, type Routed, type RoutedAlert } from './alerts.js';
import { Coalescer } from './coalescer.js';
import { incidentInputFor } from './incidentInput.js';
import { alertResolvedSignal } from '../workflows/incident/messages.js';

/**
 * The signal a resolved alert sends to the running incident. The incident has no handler for it
 * yet (issue 9 owns the workflow): Temporal keeps it in the history until one is added.
 */
export const ALERT_RESOLVED_SIGNAL = alertResolvedSignal.name;
export interface AlertResolved {
  source: string;
  summary: string;
}

/** Temporal did not answer: the sender should retry (503 with Retry-After). */
export class TemporalUnavailable extends Error {}

export interface IncidentAnswer {
  workflowId: string;
  runId: string;
  /** True when this request started the run (see StartTracker for how that is known). */
  started: boolean;
  severity: Severity;
  alerts: number;
}

export interface ResolvedAnswer {
  workflowId: string;
  /** False when no incident was running: a resolved alert never starts one. */
  signalled: boolean;
}

export interface Delivery {
  incidents: IncidentAnswer[];
  resolved: ResolvedAnswer[];
  unmatched: Routed['unmatched'];
  ignored: Routed['ignored'];
}

export interface DispatchOptions {
  taskQueue: string;
  /** Per request, for its Temporal calls; past it the request answers 503. */
  timeoutMs: number;
  /** Resolved alerts signalled at once per request. */
  concurrency?: number;
}

/** A firing alert waiting for its incident's next signal-with-start. */
export interface PendingAlert {
  rawInput: Record<string, unknown>;
  input: IncidentRollbackInput;
  alert: AlertSignal;
  /** When its request gives up (epoch ms). */
  deadline: number;
}

type IncidentHandle = WorkflowHandleWithSignaledRunId<typeof incidentRollback>;
export type AlertCoalescer = Coalescer<PendingAlert, IncidentHandle>;

/**
 * One trigger's coalescer of firing alerts: one signal-with-start per incident in flight, carrying
 * every alert that arrived meanwhile. The first alert's input starts the run if none is running
 * (as whichever concurrent call won did before); the call's deadline is its oldest request's.
 */
export function alertCoalescer(
  client: Client,
  taskQueue: string,
  onCall: (alerts: number) => void = () => undefined,
): AlertCoalescer {
  return new Coalescer<PendingAlert, IncidentHandle>(async (_workflowId, batch) => {
    onCall(batch.length);
    const deadline = Math.min(...batch.map((p) => p.deadline));
    return client.withDeadline(deadline, () =>
      signalWithStartAlerts(
        client,
        batch[0]!,
        batch.map((p) => p.alert),
        { taskQueue },
      ),
    );
  }, MAX_ALERTS_PER_SIGNAL);
}

// The server's SignalWithStart response says whether it started the run, but the client drops it.
// So: the first request of this process to see a run asks the server when it started.
const START_SKEW_MS = 2_000;

/** Which runs this process has already reported, so concurrent requests claim a start once. */
export class StartTracker {
  private readonly seen = new Map<string, true>();
  constructor(private readonly max = 10_000) {}

  /** True for the first caller with `runId` (synchronously), false for every later one. */
  claim(runId: string): boolean {
    if (this.seen.has(runId)) return false;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(runId, true);
    return true;
  }
}

/** gRPC CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE: the sender should retry. */
const RETRY_LATER = new Set([1, 4, 8, 14]);

function unavailable(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = isGrpcServiceError(e) ? e.code : (e as { code?: unknown }).code;
    if (typeof code === 'number' && RETRY_LATER.has(code)) return true;
    if ((e as { name?: unknown }).name === 'TransportError') return true;
  }
  return false;
}

async function limited<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  });
  await Promise.all(lanes);
}

interface Prepared {
  alert: RoutedAlert;
  rawInput: Record<string, unknown>;
  input: IncidentRollbackInput;
  severity: Severity;
}

/** Builds and validates every firing alert's input; the first bad one throws BadAlert. */
function prepare(routed: Routed): Prepared[] {
  return routed.alerts
    .filter((a) => a.status === 'firing')
    .map((alert) => {
      const input = incidentInputFor(alert.service, alert.environment, alert.signals, {
        reason: alert.summary,
        requestedBy: alert.requestedBy,
        detectedAt: alert.detectedAt,
        procedures: alert.procedures,
      });
      const parsed = parseWith(incidentRollbackInput, input);
      // Procedure inputs too: the incident would fail at once on them, after being started.
      const message = parsed.ok ? procedureInputErrors(parsed.value.procedures).join('; ') : parsed.message;
      if (!parsed.ok || message) {
        throw new BadAlert(
          alert.field ?? 'incident',
          `incident input for ${alert.service.name} is invalid: ${message}`,
        );
      }
      const severity = classifyIncident(parsed.value, parsed.value.thresholds).severity;
      return { alert, rawInput: input, input: parsed.value, severity };
    });
}

export async function dispatch(
  client: Client,
  routed: Routed,
  tracker: StartTracker,
  coalescer: AlertCoalescer,
  options: DispatchOptions,
): Promise<Delivery> {
  const prepared = prepare(routed);
  const byWorkflow = new Map<string, IncidentAnswer>();
  const resolved = new Map<string, ResolvedAnswer>();
  const deadline = Date.now() + options.timeoutMs;
  const withDeadline = <T>(fn: () => Promise<T>) => client.withDeadline(deadline, fn);

  const fire = async ({ rawInput, input, severity }: Prepared) => {
    const requestedAt = Date.now();
    const workflowId = incidentWorkflowId(input.environment, input.service);
    const handle = await coalescer.submit(workflowId, { rawInput, input, alert: alertFromInput(input), deadline });
    const runId = handle.signaledRunId;
    let started = false;
    if (tracker.claim(runId)) {
      const described = await withDeadline(() => handle.describe());
      started = described.startTime.getTime() >= requestedAt - START_SKEW_MS;
    }
    const answer = byWorkflow.get(handle.workflowId);
    if (!answer) {
      byWorkflow.set(handle.workflowId, { workflowId: handle.workflowId, runId, started, severity, alerts: 1 });
      return;
    }
    answer.alerts += 1;
    answer.started ||= started;
    if (isMoreSevere(severity, answer.severity)) answer.severity = severity;
  };

  const resolve = async (alert: RoutedAlert) => {
    const workflowId = incidentWorkflowId(alert.environment, alert.service.name);
    const payload: AlertResolved = { source: alert.requestedBy, summary: alert.summary };
    try {
      await withDeadline(() => client.workflow.getHandle(workflowId).signal(ALERT_RESOLVED_SIGNAL, payload));
      resolved.set(workflowId, { workflowId, signalled: true });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      if (!resolved.has(workflowId)) resolved.set(workflowId, { workflowId, signalled: false });
    }
  };

  try {
    const concurrency = options.concurrency ?? 16;
    // Firing first: a group that both fires and resolves an alert finds its incident running.
    // All at once: the coalescer keeps one call per incident in flight.
    await Promise.all(prepared.map(fire));
    await limited(
      routed.alerts.filter((a) => a.status === 'resolved'),
      concurrency,
      resolve,
    );
  } catch (error) {
    if (unavailable(error)) throw new TemporalUnavailable('Temporal is unavailable', { cause: error });
    throw error;
  }
  return {
    incidents: [...byWorkflow.values()],
    resolved: [...resolved.values()],
    unmatched: routed.unmatched,
    ignored: routed.ignored,
  };
}
