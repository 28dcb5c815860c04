// Starting an incident from anywhere (alerting, the CLI, a script): one running incident per
// service and environment. The first request starts `rollback-<environment>-<service>`; every
// request, the first included, is delivered as an `alert` signal (signal-with-start, "use
// existing"), so N identical requests make one workflow that has seen N alerts. The trigger sends
// alerts that arrive together as one `alerts` signal (src/trigger/coalescer.ts), counted the same. The run carries a
// static summary for the Web UI; a request that joins a running incident leaves its summary as it was.
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithSignaledRunId,
} from '@temporalio/client';
import {
  incidentRollbackInput,
  incidentWorkflowId,
  MAX_ALERTS_PER_SIGNAL,
  type AlertBatchSignal,
  type AlertSignal,
  type IncidentRollbackInput,
} from '../domain/schemas/incidentRollback.js';
import { procedureInputErrors } from '../domain/procedures/registry.js';
import { incidentStaticSummary } from '../domain/incident/summaries.js';
import { parseWith } from '../domain/validation.js';
import { alertSignal, alertsSignal } from '../workflows/incident/messages.js';
import type { incidentRollback } from '../workflows/incidentRollback.js';

export class InvalidIncidentInput extends Error {}

export interface StartOrSignalOptions {
  taskQueue: string;
}

/** The alert an incident request amounts to: its signals, severity and who raised it. */
export function alertFromInput(input: IncidentRollbackInput): AlertSignal {
  const { severity, outage, errorRatePct, latencyDegradationPct, requestedBy, reason } = input;
  return { severity, outage, errorRatePct, latencyDegradationPct, source: requestedBy, summary: reason };
}

/** The validated input (a bad one throws InvalidIncidentInput naming the field; nothing starts). */
export function validIncidentInput(rawInput: unknown): IncidentRollbackInput {
  const parsed = parseWith(incidentRollbackInput, rawInput);
  if (!parsed.ok) throw new InvalidIncidentInput(`incidentRollback: invalid input: ${parsed.message}`);
  // The incident would fail at once on these: refused here, nothing is started for them.
  const procedureErrors = procedureInputErrors(parsed.value.procedures);
  if (procedureErrors.length > 0) {
    throw new InvalidIncidentInput(`incidentRollback: invalid input: ${procedureErrors.join('; ')}`);
  }
  return parsed.value;
}

/**
 * Validates `rawInput` (a bad one throws InvalidIncidentInput naming the field and starts
 * nothing), then signals-with-start the incident workflow.
 */
export async function startOrSignalIncident(
  client: Client,
  rawInput: unknown,
  options: StartOrSignalOptions,
): Promise<WorkflowHandleWithSignaledRunId<typeof incidentRollback>> {
  const input = validIncidentInput(rawInput);
  return signalWithStartAlerts(client, { rawInput, input }, [alertFromInput(input)], options);
}

/**
 * One signal-with-start carrying `alerts` (at least one, at most MAX_ALERTS_PER_SIGNAL) for the
 * incident `start` names; `start` is the run's input if this call starts it. One alert goes as
 * `alert`, as it always has; several as one `alerts` signal, which the incident counts one by one.
 * `start.input` must be `start.rawInput` validated (validIncidentInput).
 */
export async function signalWithStartAlerts(
  client: Client,
  start: { rawInput: unknown; input: IncidentRollbackInput },
  alerts: AlertSignal[],
  options: StartOrSignalOptions,
): Promise<WorkflowHandleWithSignaledRunId<typeof incidentRollback>> {
  const { rawInput, input } = start;
  if (alerts.length === 0 || alerts.length > MAX_ALERTS_PER_SIGNAL) {
    throw new RangeError(`alerts: ${alerts.length} alerts; one signal carries 1 to ${MAX_ALERTS_PER_SIGNAL}`);
  }
  const common = {
    workflowId: incidentWorkflowId(input.environment, input.service),
    taskQueue: options.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [rawInput],
    // The Web UI's one line for the run ("P1 checkout-api production: errors 12% > 5%").
    staticSummary: incidentStaticSummary(input),
  } as const;
  for (let attempt = 1; ; attempt++) {
    try {
      if (alerts.length === 1) {
        return await client.workflow.signalWithStart<typeof incidentRollback, [AlertSignal]>('incidentRollback', {
          ...common,
          signal: alertSignal,
          signalArgs: [alerts[0]!],
        });
      }
      return await client.workflow.signalWithStart<typeof incidentRollback, [AlertBatchSignal]>('incidentRollback', {
        ...common,
        signal: alertsSignal,
        signalArgs: [{ alerts }],
      });
    } catch (error) {
      // A start that lost a race with a concurrent one delivered nothing (some servers, such as
      // the time-skipping test server, report the race instead of signalling): signal again.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || attempt >= 3) throw error;
    }
  }
}
