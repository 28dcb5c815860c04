// Runbook "Decision Matrix", "Communication", "Rollback Checklist" and "Post-Rollback Actions" as
// one durable incident: assess the severity, take the matrix's action within its deadline (SLA
// timers warn at 80% and escalate at the deadline), run the rollback procedures as child
// workflows, announce progress and completion, and leave the follow-ups running.
import { workflowInfo } from '@temporalio/workflow';
import {
  renderIncidentClosed,
  renderRollbackComplete,
  renderRollbackFailed,
  renderRollbackInProgress,
} from '../domain/incident/announcements.js';
import { DEADLINE_MS } from '../domain/decisionMatrix.js';
import type { ClosedPhase } from '../domain/incident/phases.js';
import { describeOutcome, reportsVerified } from '../domain/incident/procedures.js';
import { incidentRollbackInput } from '../domain/schemas/incidentRollback.js';
import { temporalApi } from './incident/activities.js';
import { waitForApprovalOrTimeout, waitForInvestigation } from './incident/approval.js';
import { listenForPeople, type Decisions } from './incident/humanInput.js';
import { Incident, SELF } from './incident/incident.js';
import { monitorErrorRate } from './incident/monitoring.js';
import { checkAfterRollback, RollbackFailed, runProcedures } from './incident/rollback.js';
import { enforceSla } from './incident/sla.js';
import type { IncidentResult } from './incident/types.js';
import { procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';

export async function incidentRollback(rawInput: unknown): Promise<IncidentResult> {
  const input = parseInput(incidentRollbackInput, rawInput, 'incidentRollback');
  const incident = new Incident(input);
  const decisions = listenForPeople(incident);

  // "Incident severity assessed", "Incident commander assigned"; the deadline clock starts.
  await incident.assess();
  void enforceSla(incident);

  for (;;) {
    if (incident.abortedBy) return closeWithoutRollback(incident, 'aborted', `aborted by ${incident.abortedBy}`);
    switch (incident.action) {
      // P0, complete outage: immediate rollback (< 5 min).
      case 'immediate-rollback':
        return rollBack(incident);

      // P1, major errors (> 5%): rollback after confirmation (< 15 min).
      case 'rollback-after-confirmation': {
        const answer = await waitForApprovalOrTimeout(incident, decisions);
        if (answer === 'confirmed') return rollBack(incident);
        if (answer === 'rejected') return closeWithoutRollback(incident, 'rejected', decidedBy(decisions));
        if (answer === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        break; // a new severity: take its action
      }

      // P1, performance degradation (> 50%): rollback after investigation (< 30 min).
      case 'rollback-after-investigation': {
        const finding = await waitForInvestigation(incident, decisions);
        if (finding === 'rollback') return rollBack(incident);
        if (finding === 'no-rollback') {
          return closeWithoutRollback(incident, 'investigated-no-rollback', investigatedBy(decisions));
        }
        if (finding === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        break;
      }

      // P2, minor errors (< 1%): monitor, rollback if it escalates (< 2 hours).
      case 'monitor': {
        const watch = await monitorErrorRate(incident);
        if (watch === 'quiet') {
          return closeWithoutRollback(incident, 'monitored-no-rollback', 'no escalation within 2 hours');
        }
        if (watch === 'aborted') return closeWithoutRollback(incident, 'aborted', abortedBy(incident));
        break;
      }

      // P3, cosmetic issues: fix forward in the next deployment.
      case 'fix-forward':
        return closeWithoutRollback(incident, 'fixed-forward', 'no rollback: fix forward in the next deployment');
    }
  }
}

/** Announce, run the procedures, check, announce completion, document, and schedule follow-ups. */
async function rollBack(incident: Incident): Promise<IncidentResult> {
  incident.rollbackStartedMs = Date.now();
  incident.enter('rolling-back', 'starting the rollback procedures');
  const expectedMinutes = (DEADLINE_MS[incident.action] ?? DEADLINE_MS['rollback-after-confirmation']!) / 60_000;
  incident.announce(
    'rollback-in-progress',
    renderRollbackInProgress({
      environment: incident.input.environment,
      reason: incident.input.reason,
      targets: incident.procedures.map((p) => p.target),
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
    incident.close('rollback-failed', error.message);
    incident.notifier.send(
      'rollback-failed',
      renderRollbackFailed(incident.header, error.message),
      incident.escalationChannels,
    );
    await incident.notifier.flush();
    throw procedureFailure('RollbackFailed', `incidentRollback: ${error.message}`);
  }

  const reading = await checkAfterRollback(incident);
  const results = incident.procedures.map((p) => p.result);
  incident.announce(
    'rollback-complete',
    renderRollbackComplete({
      durationMinutes: Math.max(1, Math.ceil((incident.rollbackFinishedMs! - incident.rollbackStartedMs) / 60_000)),
      allVerified: results.every(reportsVerified),
      currentVersions: incident.procedures.map((p) => describeOutcome(p.type, p.result)),
      ...reading,
      alarmsCleared: incident.checklist.find((i) => i.id === 'alarms-cleared')!.done,
    }),
    'team-notified',
  );
  incident.tick('rollback-documented', SELF, 'the incident timeline records every step with who and when');
  // The follow-ups carry the checklist on, so they start once the announcements have landed.
  await incident.notifier.flush();
  await startFollowUps(incident);
  incident.close('rolled-back', 'rollback complete; follow-ups scheduled');
  return result(incident, 'rolled-back');
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
      checklist: incident.checklist,
    },
  });
  incident.followUpsWorkflowId = workflowId;
  incident.record('follow-ups-started', `reminders at 1 hour, 24 hours and 1 week: workflow ${workflowId}`);
}

async function closeWithoutRollback(incident: Incident, outcome: ClosedPhase, detail: string): Promise<IncidentResult> {
  incident.close(outcome, detail);
  incident.announce('incident-closed', renderIncidentClosed(incident.header, outcome, detail));
  await incident.notifier.flush();
  return result(incident, outcome);
}

function result(incident: Incident, outcome: ClosedPhase): IncidentResult {
  return {
    incidentId: incident.id,
    service: incident.input.service,
    environment: incident.input.environment,
    severity: incident.severity,
    outcome,
    slaBreached: incident.slaBreached,
    procedures: incident.procedures,
    followUpsWorkflowId: incident.followUpsWorkflowId,
  };
}

const decidedBy = (d: Decisions) => `rejected by ${d.approval?.by}${d.approval?.notes ? `: ${d.approval.notes}` : ''}`;
const investigatedBy = (d: Decisions) =>
  `investigation by ${d.investigation?.by}: no rollback${d.investigation?.notes ? ` (${d.investigation.notes})` : ''}`;
const abortedBy = (incident: Incident) =>
  incident.abortedBy ? `aborted by ${incident.abortedBy}` : 'no confirm or reject in time: aborted by policy';
