// The phases an incident goes through, as shown by the `status` query and the RollbackPhase
// search attribute.

export const WAITING_PHASES = ['awaiting-confirmation', 'awaiting-investigation', 'monitoring'] as const;

export const CLOSED_PHASES = [
  'rolled-back',
  /** Rolled back, but the readings afterwards are still above the thresholds: paged. */
  'rolled-back-unhealthy',
  /** Rolled back, but nothing could be read to verify it (an unreadable source): paged. */
  'rolled-back-unverified',
  'rollback-failed',
  /** A procedure could not be planned (not found, marked target...): nothing changed, paged. */
  'plan-failed',
  /** The incident's `dryRun`: every procedure planned, nothing changed. */
  'dry-run',
  /** The incident's overall limit passed with nobody finishing it: paged. */
  'expired',
  'rejected',
  'aborted',
  'investigated-no-rollback',
  'monitored-no-rollback',
  'fixed-forward',
] as const;

export type WaitingPhase = (typeof WAITING_PHASES)[number];
export type ClosedPhase = (typeof CLOSED_PHASES)[number];
export type Phase = 'assessing' | WaitingPhase | 'rolling-back' | ClosedPhase;

export function isWaiting(phase: Phase): phase is WaitingPhase {
  return (WAITING_PHASES as readonly string[]).includes(phase);
}

export function isClosed(phase: Phase): phase is ClosedPhase {
  return (CLOSED_PHASES as readonly string[]).includes(phase);
}
