// Plan, pin, apply (src/domain/procedures/contract.ts). At assessment every procedure runs as a
// dry-run child: its plan (from, to, lastRollback, pin) is kept on the procedure run, shown in
// `status` and in the confirmation request. The apply runs each procedure with the plan's pin,
// one after the other, with parent close policy ABANDON: terminating the incident must not kill
// a rollback half done (a Deployment mid-rollout, an alias half moved). Then the service's own
// readings decide whether the rollback worked.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  executeChild,
  ParentClosePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { PROCEDURE_WORKFLOWS } from '../procedures.js';
import { verifyRollback, type VerifyRollbackResult } from '../verifyRollback.js';
import { DEFAULT_THRESHOLDS } from '../../domain/decisionMatrix.js';
import { round } from '../../domain/incident/announcements.js';
import { contractOf, reportsVerified } from '../../domain/incident/procedures.js';
import {
  applyChildSummary,
  planChildSummary,
  verificationTimerSummary,
  verifyChildSummary,
} from '../../domain/incident/summaries.js';
import { accepts, procedureEntry, type ProcedureRef } from '../../domain/procedures/registry.js';
import type { Incident } from './incident.js';
import { SELF } from './incident.js';
import { readErrorRate, readLatency } from './monitoring.js';
import { reason } from './notifier.js';
import type { ProcedurePlan, VerificationSummary } from './types.js';

const MINUTE = 60_000;

export class RollbackFailed extends Error {
  constructor(
    message: string,
    readonly failureType: string,
  ) {
    super(message);
  }
}

/** The failure type of a child's failure ("TargetChanged", "NotFound"...), when it has one. */
function failureTypeOf(error: unknown): string {
  let e: unknown = error;
  while (e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) e = e.cause;
  return e instanceof ApplicationFailure && e.type ? e.type : 'Failed';
}

/**
 * A procedure's input as the incident runs it: a restore picks a snapshot from before the
 * detection (`before`), and a Kubernetes ladder's destructive rungs wait no longer than the
 * incident itself lives. Each is added only when the caller left it out and the procedure's
 * schema takes it.
 */
export function childInput(incident: Incident, procedure: ProcedureRef): Record<string, unknown> {
  const entry = procedureEntry(procedure.type);
  let input = { ...procedure.input };
  if (entry.takesBefore && input.before === undefined) {
    const withBefore = { ...input, before: new Date(incident.detectedAtMs).toISOString() };
    if (accepts(procedure.type, withBefore)) input = withBefore;
  }
  if (entry.hasFallbacks) {
    const fallbacks = (input.fallbacks ?? {}) as Record<string, unknown>;
    if (fallbacks.confirmationTimeoutSeconds === undefined) {
      const left = Math.floor((incident.expiresAtMs - Date.now()) / 1000);
      const seconds = Math.max(60, Math.min(900, left));
      const withTimeout = { ...input, fallbacks: { ...fallbacks, confirmationTimeoutSeconds: seconds } };
      if (accepts(procedure.type, withTimeout)) input = withTimeout;
    }
  }
  return input;
}

export class PlanFailed extends Error {}

/** Every procedure's dry run; a plan that fails means no automatic rollback. */
export async function planProcedures(incident: Incident): Promise<void> {
  for (const [index, procedure] of incident.input.procedures.entries()) {
    const run = incident.procedures[index]!;
    incident.showStep(`planning ${index + 1}/${incident.procedures.length}: ${run.target}`);
    try {
      const result = await executeChild(PROCEDURE_WORKFLOWS[procedure.type], {
        workflowId: `${run.workflowId}-plan`,
        args: [{ ...childInput(incident, procedure), dryRun: true }],
        staticSummary: planChildSummary(run.target),
      });
      const c = contractOf(result);
      const plan: ProcedurePlan = {
        from: c.from,
        to: c.to,
        message: c.message,
        lastRollback: c.lastRollback,
        pin: c.pin,
      };
      incident.procedurePlanned(index, plan);
      incident.record(
        'procedure-planned',
        `${run.target}: ${c.from ?? '?'} -> ${c.to ?? '?'}${c.message ? ` (${c.message})` : ''}`,
      );
    } catch (error) {
      const failed = incident.procedurePlanFailed(index, reason(error));
      incident.record('procedure-failed', `${run.target}: plan failed: ${failed.error}`);
      throw new PlanFailed(`${run.target} (workflow ${run.workflowId}-plan) could not be planned: ${failed.error}`);
    }
  }
}

/** The re-fire guard: the newest rollback mark within `refireWindowMinutes`, in words. */
export function recentRollback(incident: Incident): string | undefined {
  const windowMs = incident.input.refireWindowMinutes * MINUTE;
  for (const run of incident.procedures) {
    const last = run.plan?.lastRollback;
    if (!last) continue;
    const ageMs = Date.now() - Date.parse(last.at);
    if (ageMs >= 0 && ageMs < windowMs) {
      return `${run.target} was rolled back at ${last.at} (from ${last.from}${last.by ? `, by ${last.by}` : ''}), still failing`;
    }
  }
  return undefined;
}

export async function runProcedures(incident: Incident): Promise<void> {
  for (const [index, procedure] of incident.input.procedures.entries()) {
    const run = incident.procedures[index]!;
    incident.showStep(`procedure ${index + 1}/${incident.procedures.length}: ${run.target}`);
    incident.procedureStarted(index);
    incident.record('procedure-started', `${run.target} (workflow ${run.workflowId})`);
    const pin = run.plan?.pin;
    try {
      const pending = executeChild(PROCEDURE_WORKFLOWS[procedure.type], {
        workflowId: run.workflowId,
        args: [{ ...childInput(incident, procedure), ...(pin ? { pin } : {}) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: applyChildSummary(run.target, run.plan),
      });
      if (index === 0) incident.tick('rollback-executed', SELF, run.target);
      const result = incident.procedureSucceeded(index, await pending).result;
      const c = contractOf(result);
      incident.record(
        'procedure-succeeded',
        `${run.target}: ${c.message ?? 'finished'}${reportsVerified(result) ? ' (verified its result)' : ''}`,
      );
    } catch (error) {
      const type = failureTypeOf(error);
      const { error: failure } = incident.procedureFailed(index, reason(error));
      incident.record('procedure-failed', `${run.target} failed (${type}): ${failure}`);
      const why =
        type === 'TargetChanged'
          ? `${run.target} changed since it was planned; nothing more was rolled back, re-plan by hand: ${failure}`
          : `${procedure.type} (workflow ${run.workflowId}) failed: ${failure}`;
      throw new RollbackFailed(why, type);
    }
  }
  incident.proceduresFinished();
}

/**
 * "Health checks passed", "Metrics returned to normal", decided from readings: healthy means
 * `healthyReadings` readings in a row below the P2 threshold (and, with a latency source, below
 * its threshold), within `windowMinutes`. A reading that fails breaks the streak; a window with
 * no reading at all is "not verified", never "passing".
 */
export async function verifyAfterRollback(incident: Incident): Promise<VerificationSummary> {
  const source = incident.input.monitoring?.errorRate;
  const latency = incident.input.monitoring?.latency;
  if (!source && !latency) {
    return { verdict: 'not-checked', detail: 'no health source given' };
  }
  const { healthyReadings, intervalMinutes, windowMinutes } = incident.input.verification;
  const minor = incident.input.thresholds?.minorErrorRatePct ?? DEFAULT_THRESHOLDS.minorErrorRatePct;
  const until = Date.now() + windowMinutes * MINUTE;
  const seen: string[] = [];
  let streak = 0;
  let readable = 0;
  let last: { errorRatePct?: number; latencyMs?: number } = {};
  incident.showStep(`verifying: ${healthyReadings} healthy readings in a row, every ${intervalMinutes} min`);
  for (;;) {
    const errorRatePct = source ? await readErrorRate(incident, source) : undefined;
    const latencyMs = latency ? await readLatency(incident, latency) : undefined;
    const unreadable = (source && errorRatePct === undefined) || (latency && latencyMs === undefined);
    if (!unreadable) {
      readable += 1;
      last = { errorRatePct, latencyMs };
    }
    const healthy =
      !unreadable &&
      (errorRatePct === undefined || errorRatePct < minor) &&
      (latencyMs === undefined || latencyMs < latency!.thresholdMs);
    streak = healthy ? streak + 1 : 0;
    seen.push(
      unreadable
        ? 'unreadable'
        : [
            errorRatePct !== undefined ? `${round(errorRatePct)}%` : undefined,
            latencyMs !== undefined ? `${round(latencyMs)} ms` : undefined,
          ]
            .filter(Boolean)
            .join(' '),
    );
    const limits = [
      source ? `errors < ${minor}%` : undefined,
      latency ? `latency < ${latency.thresholdMs} ms` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    if (streak >= healthyReadings) {
      incident.record('verification', `healthy: ${streak} readings in a row with ${limits} (${seen.join(', ')})`);
      incident.tick('health-checks-passed', SELF, `${streak} healthy readings in a row`);
      if (source) incident.tick('metrics-normal', SELF, `error rate ${round(errorRatePct!)}% < ${minor}%`);
      return { verdict: 'healthy', detail: `${streak} readings in a row with ${limits}: ${seen.join(', ')}`, ...last };
    }
    if (Date.now() + intervalMinutes * MINUTE > until) {
      const verdict = readable === 0 ? 'unverified' : 'unhealthy';
      const detail =
        verdict === 'unverified'
          ? `no reading could be taken in ${windowMinutes} minutes (${seen.join(', ')})`
          : `not ${healthyReadings} readings in a row with ${limits} in ${windowMinutes} minutes (readings: ${seen.join(', ')})`;
      incident.record('verification', `${verdict}: ${detail}`);
      return { verdict, detail, ...last };
    }
    const waited = await incident.waitFor(
      () => false,
      intervalMinutes * MINUTE,
      verificationTimerSummary(intervalMinutes),
    );
    if (waited === 'expired') {
      return {
        verdict: readable === 0 ? 'unverified' : 'unhealthy',
        detail: `incident limit reached (${seen.join(', ')})`,
        ...last,
      };
    }
  }
}

/**
 * The verification suite (`verification.checks`, docs/verification.md) as a `verifyRollback`
 * child: every check in parallel within its own limit. Its verdict joins the readings' verdict
 * (the worse wins); a passing `cloudwatchAlarms` check ticks "Alarms cleared".
 */
export async function verifyWithChecks(
  incident: Incident,
  readings: VerificationSummary,
): Promise<VerificationSummary> {
  const checks = incident.input.verification.checks;
  if (checks.length === 0) return readings;
  const workflowId = `${incident.id}-verify-${workflowInfo().runId}`;
  incident.showStep(`verifying: ${checks.length} checks (workflow ${workflowId})`);
  incident.record('verification', `running ${checks.map((c) => c.check).join(', ')} (workflow ${workflowId})`);
  let report: VerifyRollbackResult;
  try {
    report = await executeChild(verifyRollback, {
      workflowId,
      args: [{ checks, reason: `after the rollback of ${incident.id}`, requestedBy: incident.id }],
      staticSummary: verifyChildSummary(checks),
    });
  } catch (error) {
    // The suite itself failed (never a check's verdict): nothing was verified.
    incident.record('verification', `the checks could not run: ${reason(error)}`);
    return combine(readings, { verdict: 'unverified', detail: `checks could not run: ${reason(error)}` }, workflowId);
  }
  for (const r of report.results) {
    incident.record(
      'verification',
      `${r.check} ${r.status}: ${r.target}: observed ${r.observed}, expected ${r.expected}${r.detail ? ` (${r.detail})` : ''}`,
    );
  }
  const alarms = report.results.find((r) => r.check === 'cloudwatchAlarms');
  if (alarms?.status === 'passed') incident.tick('alarms-cleared', SELF, `${alarms.target}: ${alarms.observed}`);
  const verdict = report.verdict === 'not-verified' ? 'unverified' : report.verdict;
  if (verdict === 'healthy') incident.tick('health-checks-passed', SELF, report.message);
  const errorRate = report.results.find((r) => r.check === 'errorRate' && r.value !== undefined);
  if (verdict === 'healthy' && errorRate)
    incident.tick('metrics-normal', SELF, `${errorRate.target}: ${errorRate.observed}`);
  const latency = report.results.find((r) => r.check === 'latency' && r.value !== undefined);
  const summary: VerificationSummary = {
    verdict,
    detail: report.message,
    ...(errorRate ? { errorRatePct: errorRate.value } : {}),
    ...(latency ? { latencyMs: latency.value } : {}),
    checks: report.results,
  };
  return combine(readings, summary, workflowId);
}

const RANK = { unhealthy: 3, unverified: 2, healthy: 1, 'not-checked': 0 } as const;

/** The worse verdict of the two; figures from the readings first, else from the checks. */
function combine(readings: VerificationSummary, checks: VerificationSummary, workflowId: string): VerificationSummary {
  const worse = RANK[checks.verdict] > RANK[readings.verdict] ? checks : readings;
  const detail = readings.verdict === 'not-checked' ? checks.detail : `${readings.detail}; checks ${checks.detail}`;
  return {
    verdict: worse.verdict,
    detail,
    errorRatePct: readings.errorRatePct ?? checks.errorRatePct,
    latencyMs: readings.latencyMs ?? checks.latencyMs,
    checks: checks.checks,
    checksWorkflowId: workflowId,
  };
}
