// What the incident workflows report: `status`, results and follow-ups, as plain data.
import type { Action, Severity } from '../../domain/decisionMatrix.js';
import type { ClosedPhase } from '../../domain/incident/phases.js';
import type { LastRollback } from '../../domain/procedures/contract.js';
import type { ProcedureAwaiting } from '../support/procedureSignals.js';
import type { CheckResult } from '../../domain/verification.js';
import type { DetailsSnapshot } from '../../domain/incident/summaries.js';

/** A procedure's dry run: what it would change, and the state it was planned against. */
export interface ProcedurePlan {
  from?: string;
  to?: string;
  message?: string;
  lastRollback?: LastRollback;
  pin?: Record<string, unknown>;
}

export interface ProcedureRun {
  type: string;
  workflowId: string;
  /** Type and target only ("kubernetesDeploymentRollback demo/web"), never the input's data. */
  target: string;
  status: 'pending' | 'planned' | 'running' | 'succeeded' | 'failed';
  plan?: ProcedurePlan;
  /** A destructive step the running procedure waits to have confirmed. */
  awaiting?: ProcedureAwaiting;
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
  error?: string;
}

/** The `status` query's answer: the head the details render (DetailsSnapshot), and the rest. */
export interface IncidentStatus extends DetailsSnapshot {
  incidentId: string;
  action: Action;
  detectedAt: string;
  alerts: number;
  alertsResolved: number;
  procedures: ProcedureRun[];
  followUpsWorkflowId?: string;
  verification?: VerificationSummary;
}

export interface VerificationSummary {
  verdict: 'healthy' | 'unhealthy' | 'unverified' | 'not-checked';
  /** What was measured, for people ("3 readings in a row below 1%: 0.1%, 0.1%, 0.1%"). */
  detail: string;
  errorRatePct?: number;
  latencyMs?: number;
  /** The verification suite's results (`verification.checks`), when the input gave checks. */
  checks?: CheckResult[];
  /** The `verifyRollback` child that ran them. */
  checksWorkflowId?: string;
}

export interface IncidentResult {
  incidentId: string;
  service: string;
  environment: string;
  severity: Severity;
  outcome: ClosedPhase;
  slaBreached: boolean;
  procedures: ProcedureRun[];
  followUpsWorkflowId?: string;
  verification?: VerificationSummary;
}

export interface FollowUpStageStatus {
  id: string;
  title: string;
  items: readonly string[];
  dueAt: string;
  remindedAt?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
}

export interface FollowUpsStatus {
  incidentId: string;
  stages: FollowUpStageStatus[];
}
