// The phases an incident goes through, as shown by the `status` query and the RollbackPhase
// search attribute, and the only moves between them (PHASE_TRANSITIONS): the incident's state
// (state.ts) checks every phase change against the table.

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

/**
 * Every phase change the incident workflow makes. A severity only ever rises (P2 -> P1 -> P0), so
 * a wait never goes back to a milder one; P0 rolls back at once unless a person must confirm
 * (approvers or the re-fire guard). Closed phases are final.
 */
export const PHASE_TRANSITIONS: Record<Phase, readonly Phase[]> = {
  // The matrix's action once assessed and planned; a failed plan, a dry run, an abort while
  // planning, or the limit passed while planning close it first.
  assessing: [
    'awaiting-confirmation',
    'awaiting-investigation',
    'monitoring',
    'rolling-back',
    'plan-failed',
    'dry-run',
    'aborted',
    'expired',
    'fixed-forward',
  ],
  // Re-entered when a raise to P0 still needs a confirmation.
  'awaiting-confirmation': ['awaiting-confirmation', 'rolling-back', 'rejected', 'aborted', 'expired'],
  // To a confirmation: "roll back" under the re-fire guard, or a raise to P0 that needs one.
  'awaiting-investigation': ['awaiting-confirmation', 'rolling-back', 'investigated-no-rollback', 'aborted', 'expired'],
  // The monitor (or an alert, or a person) escalates to P1 or P0.
  monitoring: [
    'awaiting-confirmation',
    'awaiting-investigation',
    'rolling-back',
    'monitored-no-rollback',
    'aborted',
    'expired',
  ],
  // A running rollback is never aborted: it finishes, one way or the other.
  'rolling-back': ['rolled-back', 'rolled-back-unhealthy', 'rolled-back-unverified', 'rollback-failed'],
  'rolled-back': [],
  'rolled-back-unhealthy': [],
  'rolled-back-unverified': [],
  'rollback-failed': [],
  'plan-failed': [],
  'dry-run': [],
  expired: [],
  rejected: [],
  aborted: [],
  'investigated-no-rollback': [],
  'monitored-no-rollback': [],
  'fixed-forward': [],
};

/** A phase change the table does not allow: a bug in the workflow, never a person's mistake. */
export class IllegalTransition extends Error {
  constructor(
    readonly from: Phase,
    readonly to: Phase,
  ) {
    const allowed = PHASE_TRANSITIONS[from];
    super(
      `illegal phase transition ${from} -> ${to} (from ${from}: ${allowed.length > 0 ? allowed.join(', ') : `none, ${from} is closed`})`,
    );
    this.name = 'IllegalTransition';
  }
}

export function canTransition(from: Phase, to: Phase): boolean {
  return PHASE_TRANSITIONS[from].includes(to);
}

/** Throws IllegalTransition unless the table allows `from` -> `to`. */
export function assertTransition(from: Phase, to: Phase): void {
  if (!canTransition(from, to)) throw new IllegalTransition(from, to);
}

export function isWaiting(phase: Phase): phase is WaitingPhase {
  return (WAITING_PHASES as readonly string[]).includes(phase);
}

export function isClosed(phase: Phase): phase is ClosedPhase {
  return (CLOSED_PHASES as readonly string[]).includes(phase);
}
