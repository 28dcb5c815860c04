// Runbook "Decision Matrix", "Communication", "Rollback Checklist" and "Post-Rollback Actions" as
// one durable incident: check every input, assess the severity, plan every procedure (its dry
// run), take the matrix's action within its deadline (SLA timers warn at 80%, escalate at the
// deadline and page again until done), apply the plans as child workflows, decide from readings
// whether the service recovered, announce it, and leave the follow-ups running. It never acts
// on a re-fired alert by itself, every wait is bounded, and the whole incident has a limit.
import { workflowInfo } from '@temporalio/workflow';
import {
  renderIncidentClosed,
  renderRollbackComplete,
  renderRollbackFailed,
  renderRollbackInProgress,
} from '../domain/incident/announcements.js';
import { DEADLINE_MS } from '../domain/decisionMatrix.js';
import { IllegalTransition, type ClosedPhase } from '../domain/incident/phases.js';
import { describeOutcome, reportsVerified } from '../domain/incident/procedures.js';
import { procedureInputErrors } from '../domain/procedures/registry.js';
import { incidentRollbackInput, type IncidentRollbackInput } from '../domain/schemas/incidentRollback.js';
import { notifications, temporalApi } from './incident/activities.js';
import { plannedChanges, waitForApprovalOrTimeout, waitForInvestigation } from './incident/approval.js';
import { alongside } from './incident/alongside.js';
import { listenForPeople } from './incident/humanInput.js';
import { Incident, SELF } from './incident/incident.js';
import { monitorErrorRate } from './incident/monitoring.js';
import {
  PlanFailed,
  planProcedures,
  recentRollback,
  RollbackFailed,
  runProcedures,
  verifyAfterRollback,
  verifyWithChecks,
} from './incident/rollback.js';
import { enforceSla } from './incident/sla.js';
import type { IncidentResult } from './incident/types.js';
import { procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';

export async function incidentRollback(rawInput: unknown): Promise<IncidentResult> {
  const input = parseInput(incidentRollbackInput, rawInput, 'incidentRollback');
  await checkBeforeAnything(input);
  const incident = new Incident(input);
  listenForPeople(incident);
  let sla: Promise<void> | undefined;
  try {
    // "Incident severity assessed", "Incident commander assigned"; the deadline clock starts.
    await incident.assess();
    // The SLA timers run beside the body, joined with it: an error in them fails the incident
    // at once; they stop when the body ends and are awaited below.
    sla = enforceSla(incident);
    return await alongside(handle(incident), sla);
  } catch (error) {
    // A phase change the table forbids is a bug: fail visibly, naming the transition.
    if (error instanceof IllegalTransition)
      throw procedureFailure('IllegalTransition', `incidentRollback: ${error.message}`);
    throw error;
  } finally {
    incident.end();
    await incident.forwarded();
    await sla;
  }
}

/**
 * Every procedure input against its own schema, and every channel name against the worker's
 * configuration, before anything is announced or changed: a fault fails the incident at once,
 * non-retryably, naming its path.
 */
async function checkBeforeAnything(input: IncidentRollbackInput): Promise<void> {
  const errors = procedureInputErrors(input.procedures);
  const names = [...input.notify.channels, ...input.notify.escalation].map((c) => c.channel);
  const unknown = await notifications.unknownChannels(names);
  for (const name of unknown) {
    errors.push(`notify: channel "${name}" is not configured on this worker (ROLLBACK_CHANNELS)`);
  }
  if (errors.length > 0) {
    throw procedureFailure('InvalidInput', `incidentRollback: invalid input: ${errors.join('; ')}`);
  }
}

async function handle(incident: Incident): Promise<IncidentResult> {
  if (incident.procedures.length > 0) {
    try {
      await planProcedures(incident);
    } catch (error) {
      if (!(error instanceof PlanFailed)) throw error;
      // No plan, no automatic rollback: a person decides what to do instead.
      return failWithPage(incident, 'plan-failed', 'PlanFailed', `no rollback: ${error.message}`);
    }
  }
  if (incident.input.dryRun) {
    const detail = `dry run: nothing changed. Plans: ${plannedChanges(incident).join('; ') || 'none'}`;
    return closeWithoutRollback(incident, 'dry-run', detail);
  }
  incident.guardRefire(recentRollback(incident));

  for (;;) {
    if (incident.abortedBy) return closeWithoutRollback(incident, 'aborted', `aborted by ${incident.abortedBy}`);
    if (Date.now() >= incident.expiresAtMs) return expire(incident);
    // The re-fire guard and an unconfirmed raise turn any rollback into one after confirmation.
    const action =
      incident.needsPerson && incident.action === 'immediate-rollback'
        ? 'rollback-after-confirmation'
        : incident.action;
    switch (action) {
      // P0, complete outage: immediate rollback (< 5 min).
      case 'immediate-rollback':
        return rollBack(incident);

      // P1, major errors (> 5%): rollback after confirmation (< 15 min).
      case 'rollback-after-confirmation': {
        const answer = await waitForApprovalOrTimeout(incident);
        if (answer === 'confirmed') return rollBack(incident);
        if (answer === 'rejected') return closeWithoutRollback(incident, 'rejected', decidedBy(incident));
        if (answer === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        if (answer === 'expired') return expire(incident);
        break; // a new severity: take its action
      }

      // P1, performance degradation (> 50%): rollback after investigation (< 30 min).
      case 'rollback-after-investigation': {
        const finding = await waitForInvestigation(incident);
        if (finding === 'rollback') {
          // With the re-fire guard up, an investigation's "roll back" still needs a confirmation.
          if (incident.needsPerson) {
            incident.requireConfirmation();
            break;
          }
          return rollBack(incident);
        }
        if (finding === 'no-rollback') {
          return closeWithoutRollback(incident, 'investigated-no-rollback', investigatedBy(incident));
        }
        if (finding === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        if (finding === 'expired') return expire(incident);
        break;
      }

      // P2, minor errors (< 1%): monitor, rollback if it escalates (< 2 hours).
      case 'monitor': {
        const watch = await monitorErrorRate(incident);
        if (watch === 'quiet') {
          return closeWithoutRollback(incident, 'monitored-no-rollback', 'no escalation within 2 hours');
        }
        if (watch === 'resolved') {
          return closeWithoutRollback(
            incident,
            'monitored-no-rollback',
            'the alert resolved and the readings stayed below escalation',
          );
        }
        if (watch === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        if (watch === 'expired') return expire(incident);
        break;
      }

      // P3, cosmetic issues: fix forward in the next deployment.
      case 'fix-forward':
        return closeWithoutRollback(incident, 'fixed-forward', 'no rollback: fix forward in the next deployment');
    }
  }
}

/** Announce, apply the plans, verify from readings, announce completion, schedule follow-ups. */
async function rollBack(incident: Incident): Promise<IncidentResult> {
  incident.startRollback('starting the rollback procedures');
  const expectedMinutes = (DEADLINE_MS[incident.action] ?? DEADLINE_MS['rollback-after-confirmation']!) / 60_000;
  incident.announce(
    'rollback-in-progress',
    renderRollbackInProgress({
      environment: incident.input.environment,
      reason: incident.input.reason,
      targets: plannedChanges(incident),
      expectedMinutes,
      impact: incident.input.impact ?? `${incident.severity}: ${incident.classification.rule}`,
      incidentCommander: incident.incidentCommander(),
    }),
  );

  try {
    await runProcedures(incident);
  } catch (error) {
    if (!(error instanceof RollbackFailed)) throw error;
    // The fallback ladder (restart, scale, recreate) belongs to the procedures; here, page a human.
    return failWithPage(
      incident,
      'rollback-failed',
      error.failureType === 'TargetChanged' ? 'TargetChanged' : 'RollbackFailed',
      error.message,
    );
  }

  const verification = await verifyWithChecks(incident, await verifyAfterRollback(incident));
  incident.recordVerification(verification);
  const results = incident.procedures.map((p) => p.result);
  const allVerified = results.every(reportsVerified);
  const outcome: ClosedPhase =
    verification.verdict === 'unhealthy'
      ? 'rolled-back-unhealthy'
      : verification.verdict === 'unverified' || (verification.verdict === 'not-checked' && !allVerified)
        ? 'rolled-back-unverified'
        : 'rolled-back';
  incident.announce(
    'rollback-complete',
    renderRollbackComplete({
      durationMinutes: Math.max(1, Math.ceil((incident.rollbackFinishedMs! - incident.rollbackStartedMs!) / 60_000)),
      allVerified,
      currentVersions: incident.procedures.map((p) => describeOutcome(p.target, p.result)),
      verdict: verification.verdict,
      measured: verification.detail,
      errorRatePct: verification.errorRatePct,
      latencyMs: verification.latencyMs,
      alarmsCleared: incident.checklist.find((i) => i.id === 'alarms-cleared')!.done,
    }),
    'team-notified',
  );
  if (outcome !== 'rolled-back') {
    incident.escalate(
      `rolled back, but ${verification.verdict}: ${verification.detail}`,
      'a person to look at the service',
    );
  }
  incident.tick('rollback-documented', SELF, 'the incident timeline records every step with who and when');
  // The follow-ups carry the checklist on, so they start once the announcements have landed.
  await incident.flushNotifications();
  await startFollowUps(incident);
  incident.close(outcome, `rollback complete (${verification.verdict}); follow-ups scheduled`);
  return result(incident, outcome);
}

/**
 * "Post-Rollback Actions": a workflow of its own that outlives this one by a week. Started by an
 * activity rather than as an abandoned child, which the time-skipping test server cannot skip past.
 */
async function startFollowUps(incident: Incident): Promise<void> {
  const workflowId = await temporalApi.startFollowUpsWorkflow({
    workflowId: `${incident.id}-follow-ups-${workflowInfo().runId}`,
    input: {
      incidentId: incident.id,
      service: incident.input.service,
      environment: incident.input.environment,
      completedAt: new Date().toISOString(),
      channels: incident.channels,
      checklist: [...incident.checklist],
    },
  });
  incident.followUpsStarted(workflowId);
}

async function closeWithoutRollback(incident: Incident, outcome: ClosedPhase, detail: string): Promise<IncidentResult> {
  incident.close(outcome, detail);
  incident.announce('incident-closed', renderIncidentClosed(incident.header, outcome, detail));
  await incident.flushNotifications();
  return result(incident, outcome);
}

/** The overall limit passed with nobody finishing the incident: close, and page a person. */
async function expire(incident: Incident): Promise<IncidentResult> {
  const hours = incident.input.maxDurationHours;
  const detail = `no decision within the incident's limit of ${hours} hours (maxDurationHours): closed without a rollback`;
  incident.escalate(detail, 'a person to take over');
  return closeWithoutRollback(incident, 'expired', detail);
}

/** Closes with `outcome`, pages the escalation channels, and fails non-retryably with `type`. */
async function failWithPage(incident: Incident, outcome: ClosedPhase, type: string, detail: string): Promise<never> {
  incident.close(outcome, detail);
  incident.page('rollback-failed', renderRollbackFailed(incident.header, detail));
  await incident.flushNotifications();
  throw procedureFailure(type, `incidentRollback: ${detail}`);
}

function result(incident: Incident, outcome: ClosedPhase): IncidentResult {
  return {
    incidentId: incident.id,
    service: incident.input.service,
    environment: incident.input.environment,
    severity: incident.severity,
    outcome,
    slaBreached: incident.slaBreached,
    procedures: [...incident.procedures],
    followUpsWorkflowId: incident.followUpsWorkflowId,
    verification: incident.verification,
  };
}

const decidedBy = ({ approval: a }: Incident) => `rejected by ${a?.by}${a?.notes ? `: ${a.notes}` : ''}`;
const investigatedBy = ({ investigation: i }: Incident) =>
  `investigation by ${i?.by}: no rollback${i?.notes ? ` (${i.notes})` : ''}`;
const abortedBy = (incident: Incident) =>
  incident.abortedBy ? `aborted by ${incident.abortedBy}` : 'no confirm or reject in time: aborted by policy';
