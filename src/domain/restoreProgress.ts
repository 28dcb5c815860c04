// What a restore workflow knows about itself: the plan, the phase, the instance's progress. The
// `status` query returns it, continue-as-new carries it, and the result ends with it.
import type { InstanceProgress, RestoreSource, SnapshotInfo } from './rdsRestore.js';
import type { VerificationCheck } from './verification.js';

export type RestorePhase = 'planning' | 'restoring' | 'waiting' | 'switching' | 'verifying' | 'completed' | 'failed';

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

export interface RestoreResult {
  workflowType: string;
  dryRun: boolean;
  plan: RestorePlan;
  adopted: boolean;
  instance?: { instanceId: string; status: string; endpoint?: string; port?: number };
  databaseHost?: DatabaseHostPlan & { changed: boolean };
  checks: VerificationCheck[];
  waitedSeconds: number;
  polls: number;
  message: string;
}
