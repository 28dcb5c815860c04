// What the incident workflows report: `status`, results and follow-ups, as plain data.
import type { Action, Severity } from '../../domain/decisionMatrix.js';
import type { ClosedPhase, Phase } from '../../domain/incident/phases.js';

export interface ProcedureRun {
  type: string;
  workflowId: string;
  target: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
  error?: string;
}

export interface IncidentStatus {
  incidentId: string;
  service: string;
  environment: string;
  phase: Phase;
  severity: Severity;
  action: Action;
  /** Which row of the decision matrix applied. */
  rule: string;
  detectedAt: string;
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
  alerts: number;
  procedures: ProcedureRun[];
  followUpsWorkflowId?: string;
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
