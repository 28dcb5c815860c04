// The phases an incident goes through, as shown by the `status` query and the RollbackPhase
// search attribute.

export const WAITING_PHASES = ['awaiting-confirmation', 'awaiting-investigation', 'monitoring'] as const;

export const CLOSED_PHASES = [
  'rolled-back',
  'rollback-failed',
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
