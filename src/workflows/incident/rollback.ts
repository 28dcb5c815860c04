// "Rollback command executed", "Rollback progress monitored": the incident's procedures run as
// child workflows, one after the other in the order given, each by its workflow type and input.
import { executeChild } from '@temporalio/workflow';
import { reportsVerified } from '../../domain/incident/procedures.js';
import { DEFAULT_THRESHOLDS } from '../../domain/decisionMatrix.js';
import type { Incident } from './incident.js';
import { SELF } from './incident.js';
import { readErrorRate } from './monitoring.js';
import { reason } from './notifier.js';

export class RollbackFailed extends Error {}

export async function runProcedures(incident: Incident): Promise<void> {
  for (const [index, procedure] of incident.input.procedures.entries()) {
    const run = incident.procedures[index]!;
    incident.currentStep = `procedure ${index + 1}/${incident.procedures.length}: ${run.target}`;
    Object.assign(run, { status: 'running', startedAt: new Date().toISOString() });
    incident.record('procedure-started', `${run.target} (workflow ${run.workflowId})`);
    try {
      const pending = executeChild(procedure.type, { workflowId: run.workflowId, args: [procedure.input] });
      if (index === 0) incident.tick('rollback-executed', SELF, run.target);
      run.result = await pending;
      Object.assign(run, { status: 'succeeded', finishedAt: new Date().toISOString() });
      incident.record('procedure-succeeded', `${procedure.type} finished${verifiedNote(run.result)}`);
    } catch (error) {
      Object.assign(run, { status: 'failed', finishedAt: new Date().toISOString(), error: reason(error) });
      incident.record('procedure-failed', `${procedure.type} failed: ${run.error}`);
      throw new RollbackFailed(`${procedure.type} (workflow ${run.workflowId}) failed: ${run.error}`);
    }
  }
  incident.tick('progress-monitored', SELF, 'every procedure workflow followed to completion');
  incident.rollbackFinishedMs = Date.now();
}

function verifiedNote(result: unknown): string {
  return reportsVerified(result) ? ' and verified its result' : '';
}

export interface AfterRollbackReading {
  healthChecksPassing?: boolean;
  errorRatePct?: number;
}

/**
 * "Health checks passed", "Metrics returned to normal": with an error-rate source, one reading
 * after the rollback; without one, both stay for people to tick.
 */
export async function checkAfterRollback(incident: Incident): Promise<AfterRollbackReading> {
  const source = incident.input.monitoring?.errorRate;
  if (!source) return {};
  const errorRatePct = await readErrorRate(incident, source);
  if (errorRatePct === undefined) return { healthChecksPassing: false };
  const minor = incident.input.thresholds?.minorErrorRatePct ?? DEFAULT_THRESHOLDS.minorErrorRatePct;
  const healthChecksPassing = errorRatePct < 100;
  if (healthChecksPassing) incident.tick('health-checks-passed', SELF, `health URL answered, ${errorRatePct}% errors`);
  if (errorRatePct < minor) incident.tick('metrics-normal', SELF, `error rate ${errorRatePct}% < ${minor}%`);
  return { healthChecksPassing, errorRatePct };
}
