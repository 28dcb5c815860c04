// What a restore workflow knows about itself: the plan, the phase, the instance's progress. The
// `status` query returns it, continue-as-new carries it, and the result ends with it.
import type { ProcedureResult } from './procedures/contract.js';
import type { InstanceProgress, RestoreSettings, RestoreSource, SnapshotInfo } from './rdsRestore.js';
import type { RdsRestorePin } from './schemas/rdsRestore.js';
import type { VerificationCheck } from './verification.js';

// Verify the new instance first, switch only when it passes, then check the application rolled
// out; a failed rollout switches back.
export type RestorePhase =
  | 'planning'
  | 'restoring'
  | 'waiting'
  | 'verifying'
  | 'switching'
  | 'verifying-app'
  | 'switching-back'
  | 'completed'
  | 'failed';

export interface DatabaseHostPlan {
  namespace: string;
  deployment: string;
  env: string;
  from?: string;
  /** The new endpoint: predicted in the plan, the instance's real one after the wait. */
  to?: string;
}

export interface RestorePlan {
  sourceInstanceId: string;
  /** The source's endpoint when it still exists. */
  sourceEndpoint?: string;
  /** Only data from strictly before this time is restored (the corruption's detection). */
  before?: string;
  /** Settings of the new instance: the input's, each absent one copied from the source. */
  settings?: RestoreSettings;
  /** The dry run's pin this apply was given: the switch checks DATABASE_HOST against it. */
  pin?: RdsRestorePin;
  source: RestoreSource;
  targetInstanceId: string;
  /** The snapshots considered (newest first), for a snapshot restore. */
  snapshots?: SnapshotInfo[];
  restorableWindow?: { earliest?: string; latest?: string };
  /** The new instance's endpoint, predicted from the source's (unknown when the source is gone). */
  newEndpoint?: string;
  databaseHost?: DatabaseHostPlan;
}

export interface RestoreStatus {
  workflowType: string;
  phase: RestorePhase;
  step: string;
  plan?: RestorePlan;
  instance?: Omit<InstanceProgress, 'available'>;
  maxWaitSeconds: number;
  /** How many times the workflow continued as new during the wait (1 = first run). */
  run: number;
  error?: string;
}

/** Carried across continue-as-new while waiting. */
export interface RestoreResumeState {
  plan: RestorePlan;
  adopted: boolean;
  waitStartedAtMs: number;
  polls: number;
  run: number;
  /** The last poll's progress; once it says available, the next run goes straight to the switch. */
  progress?: InstanceProgress;
}

/**
 * The contract's shared fields (`from`: the source instance and endpoint, `to`: the new instance
 * and endpoint; `verified`: the verification queries ran on the new instance and passed) plus the
 * restore's own.
 */
export interface RestoreResult extends ProcedureResult {
  workflowType: string;
  plan: RestorePlan;
  pin?: RdsRestorePin;
  adopted: boolean;
  instance?: { instanceId: string; status: string; endpoint?: string; port?: number };
  databaseHost?: DatabaseHostPlan & { changed: boolean };
  checks: VerificationCheck[];
  waitedSeconds: number;
  polls: number;
}
