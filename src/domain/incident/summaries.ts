// What the Temporal Web UI shows of a run without a query: a run's static summary (set by whoever
// starts it), an incident's current details (kept up to date by the workflow), and the one-line
// summaries of its timers, activities and children. Pure text from plain data, so it runs in
// workflows, clients and unit tests alike.
import { classifySignals, DEFAULT_THRESHOLDS, type Severity } from '../decisionMatrix.js';
import { describeTarget, type ProcedureRef } from '../procedures/registry.js';
import { classifyIncident, type IncidentRollbackInput } from '../schemas/incidentRollback.js';
import type { Phase } from './phases.js';
import { isClosed } from './phases.js';

const MINUTE = 60_000;

// ---- static summaries (workflow start options)

type SummaryInput = Pick<
  IncidentRollbackInput,
  'service' | 'environment' | 'severity' | 'outage' | 'errorRatePct' | 'latencyDegradationPct' | 'thresholds'
>;

/**
 * "P1 checkout-api production: errors 12% > 5%": the severity the decision matrix gives the
 * input, and why, in the alert's own terms when its signals decided it.
 */
export function incidentStaticSummary(input: SummaryInput): string {
  const c = classifyIncident(input, input.thresholds);
  const observed = [input.outage, input.errorRatePct, input.latencyDegradationPct].some((s) => s !== undefined);
  const signals = observed ? classifySignals(input, { ...DEFAULT_THRESHOLDS, ...input.thresholds }) : undefined;
  const why = signals && signals.severity === c.severity ? signals.rule : c.rule;
  return `${c.severity} ${input.service} ${input.environment}: ${why}`;
}

/** A procedure started on its own: "lambdaAliasRollback checkout-api:production" (and a dry run says so). */
export function procedureStaticSummary(procedure: ProcedureRef): string {
  const dryRun = procedure.input.dryRun === true ? 'dry run: ' : '';
  return `${dryRun}${describeTarget(procedure)}`;
}

// ---- children, timers and activities of an incident

/** The plan (dry-run) child of a procedure. */
export function planChildSummary(target: string): string {
  return `plan ${target}`;
}

/** The apply child of a procedure, with its pinned change: "apply kubernetesDeploymentRollback demo/web: revision 3 -> revision 2". */
export function applyChildSummary(target: string, plan: { from?: string; to?: string } | undefined): string {
  const change = plan?.from !== undefined && plan.to !== undefined ? `: ${plan.from} -> ${plan.to}` : '';
  return `apply ${target}${change}`;
}

export function verifyChildSummary(checks: readonly { check: string }[]): string {
  return `verify ${checks.map((c) => c.check).join(', ')}`;
}

export function slaWarningTimerSummary(severity: Severity): string {
  return `SLA warning at 80% of the ${severity} deadline`;
}

export function slaBreachTimerSummary(severity: Severity): string {
  return `SLA breach at the ${severity} deadline`;
}

export function slaRepageTimerSummary(severity: Severity, minutes: number): string {
  return `SLA breached (${severity}): page again in ${minutes} min`;
}

export function confirmationTimeoutSummary(minutes: number, onTimeout: string): string {
  return `confirmation timeout: ${minutes} min, then ${onTimeout}`;
}

export function investigationTimeoutSummary(minutes: number, onTimeout: string): string {
  return `investigation timeout: ${minutes} min, then ${onTimeout}`;
}

/** An escalation nobody answered yet: "page again in 5 min: confirm or reject". */
export function repageTimerSummary(minutes: number, waitingFor: string): string {
  return `page again in ${minutes} min: ${waitingFor}`;
}

export function monitorTimerSummary(minutes: number): string {
  return `next error-rate reading in ${minutes} min`;
}

export function verificationTimerSummary(minutes: number): string {
  return `next verification reading in ${minutes} min`;
}

/** A wait that only the incident's overall limit (maxDurationHours) bounds. */
export function incidentLimitTimerSummary(hours: number): string {
  return `incident limit: ${hours} h (maxDurationHours)`;
}

/** A procedure's wait for a person to confirm a destructive or planned step. */
export function stepConfirmationTimeoutSummary(step: string, seconds: number): string {
  return `confirmation timeout: ${step} (${formatDuration(seconds * 1000)})`;
}

export function followUpReminderTimerSummary(title: string): string {
  return `follow-up reminder: ${title}`;
}

export function notifySummary(channel: string, kind: string): string {
  return `notify ${channel}: ${kind}`;
}

export function probeSummary(what: 'error-rate' | 'latency', source: string): string {
  return `${what} reading: ${source}`;
}

/** kubectl's words for the undo: "rollout undo demo/web 3 -> 2". */
export function rolloutUndoSummary(ref: { namespace: string; deployment: string }, from: number, to: number): string {
  return `rollout undo ${ref.namespace}/${ref.deployment} ${from} -> ${to}`;
}

export function aliasUpdateSummary(ref: { functionName: string; alias: string }, from: string, to: string): string {
  return `update alias ${ref.functionName}:${ref.alias} ${from} -> ${to}`;
}

// ---- current details (setCurrentDetails), from the `status` snapshot

/**
 * The head of the `status` query's answer, which the details show: `IncidentStatus`
 * (src/workflows/incident/types.ts) extends it, so the domain renders it without importing the
 * workflow layer.
 */
export interface DetailsSnapshot {
  service: string;
  environment: string;
  phase: Phase;
  severity: Severity;
  /** Which row of the decision matrix applied. */
  rule: string;
  /** The deadline of the current severity (for P2 the end of monitoring); null for fix-forward. */
  deadline: string | null;
  /** Milliseconds left until the deadline, as of `asOf` (negative once passed). */
  timeLeftMs: number | null;
  /** Workflow time of the latest event the workflow has seen: queries do not advance its clock. */
  asOf: string;
  slaWarned: boolean;
  slaBreached: boolean;
  currentStep: string;
  incidentCommander?: string;
  procedures: readonly {
    target: string;
    status: string;
    plan?: { from?: string; to?: string; message?: string };
    awaiting?: { step: string; since: string; timeoutSeconds: number };
    error?: string;
  }[];
  /** Why the re-fire guard holds this incident for a person, when it does. */
  refire?: string;
  verification?: { verdict: string; detail: string };
  /** When the incident closes `expired` if nobody finished it. */
  expiresAt: string;
}

/** Who may answer: from the input, since the status does not carry it. */
export interface DetailsPeople {
  requestedBy: string;
  approvers?: readonly string[];
  allowSelfApproval: boolean;
}

/**
 * The incident as a person needs it at a glance (Temporal markdown): severity and phase, the
 * current step, the deadline with the time left, what it waits for and from whom, the pinned plan.
 */
export function incidentCurrentDetails(s: DetailsSnapshot, people: DetailsPeople): string {
  const lines = [`**${s.severity} ${s.phase}** ${s.service} ${s.environment} (${s.rule})`, '', s.currentStep, ''];
  const items: string[] = [];
  if (!isClosed(s.phase)) {
    items.push(`**Deadline** ${deadlineText(s)}`);
    const waiting = waitingFor(s, people);
    if (waiting) items.push(`**Waiting for** ${waiting}`);
  } else if (s.slaBreached) {
    items.push(`**Deadline** ${s.deadline ?? 'none'}: breached`);
  }
  if (s.refire) items.push(`**Re-fire guard** ${s.refire}`);
  for (const p of s.procedures) items.push(`**${planLabel(p.status)}** ${p.target}: ${planText(p)}`);
  if (s.verification) items.push(`**Verification** ${s.verification.verdict}: ${s.verification.detail}`);
  if (s.incidentCommander) items.push(`**Commander** ${s.incidentCommander}`);
  return [...lines, ...items.map((i) => `- ${i}`)].join('\n').trimEnd();
}

function deadlineText(s: DetailsSnapshot): string {
  if (s.deadline === null || s.timeLeftMs === null) return 'none (fix forward in the next deployment)';
  const at = `as of ${s.asOf.slice(11, 19)}Z`;
  const left =
    s.timeLeftMs >= 0 ? `${formatDuration(s.timeLeftMs)} left` : `overdue by ${formatDuration(-s.timeLeftMs)}`;
  const sla = s.slaBreached ? ', SLA breached' : s.slaWarned ? ', 80% used' : '';
  return `${s.deadline}: ${left} (${at}${sla})`;
}

function waitingFor(s: DetailsSnapshot, people: DetailsPeople): string | undefined {
  const step = s.procedures.find((p) => p.awaiting !== undefined);
  if (step?.awaiting) {
    const until = new Date(Date.parse(step.awaiting.since) + step.awaiting.timeoutSeconds * 1000).toISOString();
    return `\`confirm\` of "${step.awaiting.step}" (${step.target}) until ${until}, ${confirmers(people)}`;
  }
  switch (s.phase) {
    case 'awaiting-confirmation':
      return `\`confirm\` or \`reject\` ${confirmers(people)}`;
    case 'awaiting-investigation':
      return `\`investigationResult\` ${deciders(people)}`;
    case 'monitoring':
      return `the error-rate monitor until ${s.deadline ?? 'its end'} (\`escalate\` or \`abort\` ${deciders(people)})`;
    case 'rolling-back':
      return 'the procedures to finish';
    default:
      return undefined;
  }
}

/** Who may decide (approvers when set, else anyone). */
function deciders(people: DetailsPeople): string {
  return people.approvers ? `from an approver (${people.approvers.join(', ')})` : 'from anyone';
}

/** Who may confirm: the deciders, without the requester unless self-approval is allowed. */
function confirmers(people: DetailsPeople): string {
  const self = people.allowSelfApproval ? '' : `, not ${people.requestedBy} (who asked for it)`;
  return `${deciders(people)}${self}`;
}

function planLabel(status: string): string {
  return status === 'planned' || status === 'pending' ? 'Plan' : `Procedure ${status}`;
}

function planText(p: DetailsSnapshot['procedures'][number]): string {
  if (p.error) return p.error;
  if (p.plan?.from !== undefined && p.plan.to !== undefined) return `${p.plan.from} -> ${p.plan.to} (pinned)`;
  return p.plan?.message ?? 'not planned yet';
}

/** "45 s", "14 min", "2 h 05 min". */
export function formatDuration(ms: number): string {
  if (ms < MINUTE) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
