// What each rollbackctl command does, given a connected client. Commands return an exit code or
// throw UsageError / FailedError (src/cli/errors.ts); output goes through `out`.
import {
  QueryNotRegisteredError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findService, loadCatalog, CatalogError } from '../config/catalog.js';
import { incidentRollbackInput, incidentWorkflowId } from '../domain/schemas/incidentRollback.js';
import { parseWith } from '../domain/validation.js';
import { PROCEDURE_TYPES, STANDALONE_TYPES, startableSchema } from '../domain/procedures/registry.js';
import { procedureStaticSummary } from '../domain/incident/summaries.js';
import type { TimelineEntry } from '../domain/incident/timeline.js';
import { InvalidIncidentInput, startOrSignalIncident } from '../incidents/startOrSignalIncident.js';
import {
  RollbackEnvironment,
  RollbackPhase,
  RollbackService,
  RollbackSeverity,
  SlaBreached,
} from '../temporal/searchAttributes.js';
import { incidentInputFor, type AlertSignals } from '../trigger/incidentInput.js';
import {
  abortSignal,
  confirmUpdate,
  escalateSignal,
  rejectUpdate,
  statusQuery,
  timelineQuery,
} from '../workflows/incident/messages.js';
import { confirmSignal as procedureConfirmSignal } from '../workflows/support/confirmation.js';
import { FailedError, UsageError } from './errors.js';
import { follow, type Observation } from './follow.js';
import {
  isIncidentStatus,
  isProcedureStatus,
  renderStatus,
  renderTable,
  renderTimeline,
  statusLine,
  type AnyStatus,
  type BasicStatus,
  type ShownStatus,
} from './render.js';

export const INCIDENT_TYPE = 'incidentRollback';

export interface Context {
  client: Client;
  taskQueue: string;
  json: boolean;
  out: (text: string) => void;
}

function print(ctx: Context, json: unknown, text: string): void {
  ctx.out(ctx.json ? JSON.stringify(json, null, 2) : text);
}

async function describe(handle: WorkflowHandle): Promise<WorkflowExecutionDescription> {
  try {
    return await handle.describe();
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') {
      throw new FailedError(`workflow "${handle.workflowId}" not found`);
    }
    throw error;
  }
}

/** Why a workflow refused: the ApplicationFailure's message and type, else the error's message. */
function refusalOf(error: unknown): { reason: string; type?: string } {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure) return { reason: cause.message, type: cause.type ?? undefined };
  return { reason: (error as Error).message };
}

// ---- start

export interface StartOptions {
  type: string;
  input?: unknown;
  workflowId?: string;
  service?: string;
  environment?: string;
  severity?: AlertSignals['severity'];
  errorRate?: number;
  outage?: boolean;
  latency?: number;
  reason?: string;
  requestedBy: string;
  catalog?: string;
}

/** The flags that make an incident input; `--input` replaces them all. */
const INCIDENT_FLAGS: [keyof StartOptions, string][] = [
  ['service', '--service'],
  ['environment', '--environment'],
  ['severity', '--severity'],
  ['errorRate', '--error-rate'],
  ['outage', '--outage'],
  ['latency', '--latency'],
  ['reason', '--reason'],
  ['catalog', '--catalog'],
];

/** The incident input from the flags and the catalog entry of `--service`. */
export function incidentInputFromFlags(o: StartOptions): Record<string, unknown> {
  if (!o.service) throw new UsageError('start: give --service (with the catalog) or --input <json|@file>');
  if (!o.reason) throw new UsageError('start: --reason is required for an incident from flags');
  let catalog;
  try {
    catalog = loadCatalog(o.catalog);
  } catch (error) {
    if (error instanceof CatalogError) throw new UsageError(error.message);
    throw error;
  }
  const service = findService(catalog, o.service);
  if (!service) {
    const known = catalog.services.map((s) => s.name).join(', ');
    throw new UsageError(`--service: "${o.service}" is not in the service catalog (known: ${known})`);
  }
  const environment = o.environment ?? service.environments[0]!;
  if (!service.environments.includes(environment)) {
    throw new UsageError(
      `--environment: "${environment}" is not an environment of ${service.name} (${service.environments.join(', ')})`,
    );
  }
  const signals: AlertSignals = {
    severity: o.severity,
    outage: o.outage,
    errorRatePct: o.errorRate,
    latencyDegradationPct: o.latency,
  };
  if (Object.values(signals).every((v) => v === undefined)) {
    throw new UsageError('start: give --severity, --error-rate, --latency or --outage');
  }
  return incidentInputFor(service, environment, signals, { reason: o.reason, requestedBy: o.requestedBy });
}

/** The run ID of the open incident the input would join, if any. */
async function openRunOf(client: Client, input: unknown): Promise<string | undefined> {
  const { environment, service } = (input ?? {}) as { environment?: unknown; service?: unknown };
  if (typeof environment !== 'string' || typeof service !== 'string') return undefined;
  try {
    const described = await client.workflow.getHandle(incidentWorkflowId(environment, service)).describe();
    return isClosed(described) ? undefined : described.runId;
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return undefined;
    throw error;
  }
}

/** What `start` will do, decided from the flags alone: usage errors come before connecting. */
export type StartPlan =
  | { kind: 'procedure'; type: string; input: unknown; workflowId: string; staticSummary?: string }
  | { kind: 'incident'; input: unknown };

export function planStart(o: StartOptions): StartPlan {
  if (o.type !== INCIDENT_TYPE) {
    const schema = startableSchema(o.type);
    if (!schema) {
      throw new UsageError(
        `--type: "${o.type}" is not ${INCIDENT_TYPE} or a procedure (${PROCEDURE_TYPES.join(', ')}), nor ${STANDALONE_TYPES.join(', ')}`,
      );
    }
    if (o.input === undefined) throw new UsageError(`start --type ${o.type}: --input <json|@file> is required`);
    // The procedure's own schema, from the registry: bad input needs no server and starts nothing.
    const checked = parseWith(schema, o.input);
    if (!checked.ok) throw new UsageError(`${o.type}: invalid input: ${checked.message}`);
    // The Web UI's one line for the run: the procedure's target (standalone workflows have none).
    const type = PROCEDURE_TYPES.find((t) => t === o.type);
    const staticSummary = type && procedureStaticSummary({ type, input: checked.value as Record<string, unknown> });
    return {
      kind: 'procedure',
      type: o.type,
      input: o.input,
      workflowId: o.workflowId ?? `${o.type}-${Date.now()}`,
      ...(staticSummary ? { staticSummary } : {}),
    };
  }
  if (o.workflowId) throw new UsageError('--workflow-id: an incident is always rollback-<environment>-<service>');
  if (o.input !== undefined) {
    const flags = INCIDENT_FLAGS.filter(([key]) => o[key] !== undefined).map(([, flag]) => flag);
    if (flags.length > 0) throw new UsageError(`--input is the whole incident input: drop ${flags.join(', ')}`);
  }
  const input = o.input ?? incidentInputFromFlags(o);
  // The schema startOrSignalIncident checks, checked here too so bad input needs no server.
  const parsed = parseWith(incidentRollbackInput, input);
  if (!parsed.ok) throw new UsageError(`incidentRollback: invalid input: ${parsed.message}`);
  return { kind: 'incident', input };
}

export async function start(ctx: Context, plan: StartPlan): Promise<number> {
  if (plan.kind === 'procedure') {
    const handle = await ctx.client.workflow.start(plan.type, {
      taskQueue: ctx.taskQueue,
      workflowId: plan.workflowId,
      args: [plan.input],
      staticSummary: plan.staticSummary,
    });
    const answer = { workflowId: plan.workflowId, runId: handle.firstExecutionRunId, type: plan.type, started: true };
    print(ctx, answer, `started ${plan.type} ${plan.workflowId} (run ${answer.runId})`);
    return 0;
  }
  const input = plan.input;
  // signal-with-start does not say whether it started the run: a run that was open before the
  // request and is the one signalled means it joined.
  const before = await openRunOf(ctx.client, input);
  let handle;
  try {
    handle = await startOrSignalIncident(ctx.client, input, { taskQueue: ctx.taskQueue });
  } catch (error) {
    if (error instanceof InvalidIncidentInput) throw new UsageError(error.message);
    throw error;
  }
  const started = before !== handle.signaledRunId;
  const answer = { workflowId: handle.workflowId, runId: handle.signaledRunId, type: INCIDENT_TYPE, started };
  print(
    ctx,
    answer,
    `${started ? 'started' : 'signalled the running'} incident ${handle.workflowId} (run ${handle.signaledRunId})`,
  );
  return 0;
}

// ---- status

const isClosed = (d: WorkflowExecutionDescription) =>
  d.status.name !== 'RUNNING' && d.status.name !== 'CONTINUED_AS_NEW';

async function outcomeOf(handle: WorkflowHandle): Promise<{ result?: unknown; error?: string }> {
  return handle.result().then(
    (result: unknown) => ({ result }),
    (error: unknown) => ({
      error: error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : String(error),
    }),
  );
}

/**
 * Incidents, restores and most procedures answer the query the incident calls `status`; a
 * workflow without one (lambdaAliasRollback) is shown by its execution status and outcome.
 */
async function queryStatus(handle: WorkflowHandle, described: WorkflowExecutionDescription): Promise<ShownStatus> {
  try {
    const s = await handle.query<AnyStatus>(statusQuery.name);
    // A closed procedure also shows its outcome: a dry run's plan and `pin` live in its result,
    // and the apply needs that pin.
    return isClosed(described) && isProcedureStatus(s) ? { ...s, ...(await outcomeOf(handle)) } : s;
  } catch (error) {
    // A closed run may not answer (no worker, or it closed before its first task): show its outcome.
    if (!(error instanceof QueryNotRegisteredError) && !isClosed(described)) throw error;
    const basic: BasicStatus = { workflowType: described.type, execution: described.status.name };
    return isClosed(described) ? { ...basic, ...(await outcomeOf(handle)) } : basic;
  }
}

export async function status(ctx: Context, workflowId: string): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const described = await describe(handle);
  const s = await queryStatus(handle, described);
  print(ctx, s, `${workflowId} (${described.type}): ${described.status.name}\n${renderStatus(s)}`);
  return 0;
}

// ---- confirm, reject, abort, escalate

export interface DecisionOptions {
  by: string;
  notes?: string;
  reason?: string;
  step?: string;
}

export async function decide(
  ctx: Context,
  decision: 'confirm' | 'reject',
  workflowId: string,
  o: DecisionOptions,
): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const described = await describe(handle);
  if (described.type !== INCIDENT_TYPE) {
    if (decision === 'reject') throw new UsageError(`reject: ${described.type} has no reject; abort it instead`);
    // A procedure waiting for a person (a fallback rung) takes its own `confirm` signal.
    await handle.signal(procedureConfirmSignal, { by: o.by, step: o.step, notes: o.notes });
    const answer = { workflowId, signal: 'confirm', by: o.by };
    print(ctx, answer, `sent confirm by ${o.by} to ${described.type} ${workflowId}`);
    return 0;
  }
  try {
    const receipt =
      decision === 'confirm'
        ? await handle.executeUpdate(confirmUpdate, { args: [{ by: o.by, notes: o.notes }] })
        : await handle.executeUpdate(rejectUpdate, { args: [{ by: o.by, reason: o.reason }] });
    print(ctx, receipt, `${receipt.decision} by ${receipt.by} (the incident was ${receipt.phase})`);
    return 0;
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const refusal = refusalOf(error);
    print(ctx, { accepted: false, decision, by: o.by, ...refusal }, `${decision} refused: ${refusal.reason}`);
    return 1;
  }
}

export async function abort(ctx: Context, workflowId: string, o: { by: string; reason?: string }): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const described = await describe(handle);
  if (described.type !== INCIDENT_TYPE) {
    throw new UsageError(`abort: ${described.type} ${workflowId} is a procedure; abort the incident that runs it`);
  }
  await handle.signal(abortSignal, { by: o.by, reason: o.reason });
  const answer = { workflowId, signal: abortSignal.name, by: o.by };
  print(ctx, answer, `sent abort by ${o.by} to ${workflowId} (see \`rollbackctl history\` for the outcome)`);
  return 0;
}

export async function escalate(
  ctx: Context,
  workflowId: string,
  o: { by: string; severity: 'P0' | 'P1' | 'P2' | 'P3'; reason?: string },
): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const described = await describe(handle);
  if (described.type !== INCIDENT_TYPE) throw new UsageError(`escalate: ${workflowId} is not an incident`);
  await handle.signal(escalateSignal, { severity: o.severity, by: o.by, reason: o.reason });
  const answer = { workflowId, signal: escalateSignal.name, severity: o.severity, by: o.by };
  print(ctx, answer, `sent escalate to ${o.severity} by ${o.by} to ${workflowId}`);
  return 0;
}

// ---- list

export interface ListOptions {
  service?: string;
  environment?: string;
  severity?: string;
  phase?: string;
  slaBreached?: boolean;
  open?: boolean;
  limit: number;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The visibility query for the filters: incidents only, by their search attributes. */
export function listQuery(o: ListOptions): string {
  const clauses = [`WorkflowType = ${quote(INCIDENT_TYPE)}`];
  if (o.service) clauses.push(`${RollbackService.name} = ${quote(o.service)}`);
  if (o.environment) clauses.push(`${RollbackEnvironment.name} = ${quote(o.environment)}`);
  if (o.severity) clauses.push(`${RollbackSeverity.name} = ${quote(o.severity)}`);
  if (o.phase) clauses.push(`${RollbackPhase.name} = ${quote(o.phase)}`);
  if (o.slaBreached) clauses.push(`${SlaBreached.name} = true`);
  if (o.open) clauses.push(`ExecutionStatus = "Running"`);
  return clauses.join(' AND ');
}

export async function list(ctx: Context, o: ListOptions): Promise<number> {
  const rows = [];
  for await (const wf of ctx.client.workflow.list({ query: listQuery(o) })) {
    const attrs = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      service: attrs.get(RollbackService),
      environment: attrs.get(RollbackEnvironment),
      severity: attrs.get(RollbackSeverity),
      phase: attrs.get(RollbackPhase),
      slaBreached: attrs.get(SlaBreached) ?? false,
      startTime: wf.startTime.toISOString(),
      closeTime: wf.closeTime?.toISOString(),
    });
    if (rows.length >= o.limit) break;
  }
  const table = renderTable(
    ['WORKFLOW ID', 'SERVICE', 'ENV', 'SEV', 'PHASE', 'SLA', 'STATUS', 'STARTED'],
    rows.map((r) => [
      r.workflowId,
      r.service ?? '-',
      r.environment ?? '-',
      r.severity ?? '-',
      r.phase ?? '-',
      r.slaBreached ? 'BREACHED' : 'ok',
      r.status,
      r.startTime,
    ]),
  );
  print(ctx, rows, rows.length === 0 ? 'no incidents match' : table);
  return 0;
}

// ---- watch

const FAILED_STATUSES = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

export async function watch(
  ctx: Context,
  workflowId: string,
  o: { intervalMs: number; once?: boolean },
): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  await describe(handle);
  const observe = async (): Promise<Observation> => {
    // Describe first: a status queried after the run closed is its final one.
    const described = await handle.describe();
    const closed = isClosed(described);
    const s = await queryStatus(handle, described);
    const incidentFailed = isIncidentStatus(s) && s.phase === 'rollback-failed';
    const failed = closed && (FAILED_STATUSES.has(described.status.name) || incidentFailed);
    const line = statusLine(s);
    let failure: string | undefined;
    if (failed) {
      failure = `${workflowId} ${incidentFailed ? 'rollback failed' : described.status.name.toLowerCase()}`;
      if (FAILED_STATUSES.has(described.status.name)) failure += `: ${(await outcomeOf(handle)).error ?? ''}`;
    }
    // Piped output prints a line per change of phase, severity or step, not per second left.
    const key = isIncidentStatus(s) ? JSON.stringify([s.phase, s.severity, s.currentStep, s.slaBreached]) : line;
    return { line, key, finished: closed, failed, failure, json: { status: described.status.name, workflow: s } };
  };
  return follow(observe, { intervalMs: o.intervalMs, once: o.once, json: ctx.json });
}

// ---- history

export async function history(ctx: Context, workflowId: string): Promise<number> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const described = await describe(handle);
  if (described.type !== INCIDENT_TYPE) {
    // A procedure's history is its completed steps.
    const s = await queryStatus(handle, described);
    print(ctx, s, renderStatus(s));
    return 0;
  }
  const entries: TimelineEntry[] = await handle.query(timelineQuery);
  print(ctx, entries, renderTimeline(entries));
  return 0;
}
