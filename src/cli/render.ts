// Readable text for what the workflows report: an incident's `status`, a restore's, a
// procedure's, the timeline and the `list` table. `--json` prints the raw objects instead.
import type { TimelineEntry } from '../domain/incident/timeline.js';
import { formatDuration, progressLine } from '../domain/rdsRestore.js';
import type { RestoreStatus } from '../domain/restoreProgress.js';
import type { IncidentStatus, ProcedureRun } from '../workflows/incident/types.js';
import type { ProcedureStatus } from '../workflows/support/progress.js';

/** A procedure's `status` query; once the run closed, with its result or failure. */
export type ShownProcedureStatus = ProcedureStatus & { result?: unknown; error?: string };

export type AnyStatus = IncidentStatus | RestoreStatus | ShownProcedureStatus;

/** What is shown of a workflow without a `status` query: its execution status and outcome. */
export interface BasicStatus {
  workflowType: string;
  execution: string;
  result?: unknown;
  error?: string;
}

export type ShownStatus = AnyStatus | BasicStatus;

function isBasicStatus(status: ShownStatus): status is BasicStatus {
  return 'execution' in status;
}

function outcomeText(status: BasicStatus): string {
  if (status.error) return `: ${status.error}`;
  const message = (status.result as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message}` : '';
}

export function isIncidentStatus(status: unknown): status is IncidentStatus {
  return typeof status === 'object' && status !== null && 'incidentId' in status && 'phase' in status;
}

export function isRestoreStatus(status: unknown): status is RestoreStatus {
  return typeof status === 'object' && status !== null && 'maxWaitSeconds' in status && 'phase' in status;
}

export function isProcedureStatus(status: unknown): status is ShownProcedureStatus {
  return (
    typeof status === 'object' &&
    status !== null &&
    'step' in status &&
    'completed' in status &&
    !isIncidentStatus(status) &&
    !isRestoreStatus(status)
  );
}

/** Time to the incident's deadline from now (queries do not advance the workflow's clock). */
export function timeLeft(status: IncidentStatus, now = Date.now()): string | undefined {
  if (!status.deadline) return undefined;
  const seconds = (Date.parse(status.deadline) - now) / 1000;
  return seconds >= 0 ? `${formatDuration(seconds)} left` : `overdue by ${formatDuration(-seconds)}`;
}

const CLOSED = new Set<string>([
  'rolled-back',
  'rollback-failed',
  'rejected',
  'aborted',
  'investigated-no-rollback',
  'monitored-no-rollback',
  'fixed-forward',
]);

function incidentClosed(status: IncidentStatus): boolean {
  return CLOSED.has(status.phase);
}

function compact(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

function procedureLines(p: ProcedureRun): string[] {
  // The target usually names the type already ("lambdaAliasRollback functionName=... -> ...").
  const what = p.target.startsWith(p.type) ? p.target : `${p.type} ${p.target}`;
  const lines = [`  - ${what}: ${p.status} (${p.workflowId})`];
  // The plan a procedure reports before it changes anything, when the incident carries one.
  const plan = (p as ProcedureRun & { plan?: unknown }).plan;
  if (plan !== undefined) lines.push(`      plan: ${compact(plan)}`);
  if (p.error) lines.push(`      error: ${p.error}`);
  return lines;
}

export function renderIncidentStatus(status: IncidentStatus, now = Date.now()): string {
  const left = incidentClosed(status) ? undefined : timeLeft(status, now);
  const lines = [
    `incident:     ${status.incidentId} (${status.service} in ${status.environment})`,
    `phase:        ${status.phase}`,
    `severity:     ${status.severity} (${status.action}; ${status.rule})`,
    `detected:     ${status.detectedAt}`,
    `deadline:     ${status.deadline ?? 'none'}${left ? ` (${left})` : ''}${status.slaBreached ? ' SLA BREACHED' : ''}`,
    `current step: ${status.currentStep}`,
    `alerts:       ${status.alerts}`,
  ];
  if (status.incidentCommander) lines.push(`commander:    ${status.incidentCommander}`);
  if (status.followUpsWorkflowId) lines.push(`follow-ups:   ${status.followUpsWorkflowId}`);
  lines.push(status.procedures.length > 0 ? 'procedures:' : 'procedures:   none');
  for (const p of status.procedures) lines.push(...procedureLines(p));
  return lines.join('\n');
}

export function renderRestoreStatus(status: RestoreStatus): string {
  const lines = [`${status.workflowType}: ${describeRestoreStatus(status)}`];
  const plan = status.plan;
  if (plan) {
    lines.push(`source:       ${plan.sourceInstanceId}`, `target:       ${plan.targetInstanceId}`);
    if (plan.newEndpoint) lines.push(`endpoint:     ${plan.newEndpoint}`);
    if (plan.databaseHost) {
      const h = plan.databaseHost;
      lines.push(`switch:       ${h.namespace}/${h.deployment} ${h.env}: ${h.from ?? '?'} -> ${h.to ?? '?'}`);
    }
  }
  if (status.run > 1) lines.push(`run:          ${status.run} (continued as new during the wait)`);
  if (status.error) lines.push(`error:        ${status.error}`);
  return lines.join('\n');
}

export function renderProcedureStatus(status: ShownProcedureStatus): string {
  const lines = [`${status.workflowType}: ${status.step}${status.detail ? ` (${status.detail})` : ''}`];
  if (status.awaitingConfirmation) lines.push(`awaiting confirmation: ${status.awaitingConfirmation}`);
  for (const c of status.completed) lines.push(`  done ${c.at} ${c.step}${c.detail ? `: ${c.detail}` : ''}`);
  const message = (status.result as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') lines.push(`result: ${message}`);
  const pin = (status.result as { pin?: unknown } | undefined)?.pin;
  if (pin !== undefined) lines.push(`pin:    ${JSON.stringify(pin)}`);
  if (status.error) lines.push(`error:  ${status.error}`);
  return lines.join('\n');
}

export function renderStatus(status: ShownStatus): string {
  if (isBasicStatus(status)) return `${status.workflowType}: ${status.execution}${outcomeText(status)}`;
  if (isIncidentStatus(status)) return renderIncidentStatus(status);
  if (isRestoreStatus(status)) return renderRestoreStatus(status);
  return renderProcedureStatus(status);
}

/** One line of a restore's progress: the instance's progress bar while waiting, else the step. */
export function describeRestoreStatus(status: RestoreStatus): string {
  const detail =
    status.phase === 'waiting' && status.instance ? progressLine(status.instance, status.maxWaitSeconds) : status.step;
  return `[${status.phase}] ${detail}`;
}

/** One line of progress, for `watch`. */
export function statusLine(status: ShownStatus, now = Date.now()): string {
  if (isBasicStatus(status)) return `[${status.execution}] ${status.workflowType}${outcomeText(status)}`;
  if (isIncidentStatus(status)) {
    const left = incidentClosed(status) ? undefined : timeLeft(status, now);
    return `[${status.phase}] ${status.severity}${left ? `, ${left}` : ''}: ${status.currentStep}`;
  }
  if (isRestoreStatus(status)) return describeRestoreStatus(status);
  const waiting = status.awaitingConfirmation ? ` (awaiting confirmation: ${status.awaitingConfirmation})` : '';
  return `[${status.step}] ${status.detail}${waiting}`;
}

export function renderTimeline(entries: TimelineEntry[]): string {
  if (entries.length === 0) return 'no entries';
  const kind = Math.max(...entries.map((e) => e.kind.length));
  const by = Math.max(...entries.map((e) => (e.by ?? '-').length));
  return entries.map((e) => `${e.at}  ${e.kind.padEnd(kind)}  ${(e.by ?? '-').padEnd(by)}  ${e.message}`).join('\n');
}

/** A plain-text table, columns padded to their widest cell. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
