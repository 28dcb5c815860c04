// The procedure contract (issue 9, DESIGN.md 3a): what every rollback procedure accepts besides
// its own fields, and the result shape every procedure returns, so the incident, the catalog and
// the CLI never guess a field.
//
// Plan, pin, apply: the incident first runs a procedure with `dryRun: true`; the dry run's
// result carries `pin` (the state the plan was made against, and the planned destination). The
// apply run gets that object back as `pin` and fails non-retryably with `TargetChanged` when the
// system is no longer in the pinned state, and otherwise moves to exactly the pinned destination.
//
// Rollback guard: a procedure that rolls a target back marks the version it rolled back from in
// the target system itself (a Deployment annotation, a Lambda function tag). A later rollback
// never moves onto a marked version unless `allowMarkedTarget` is true (`MarkedTarget`, naming
// the mark). Plans report the newest mark as `lastRollback`, which the incident uses to refuse an
// automatic second rollback after a re-fired alert.
//
// Verification (issue 12, docs/verification.md): a real run that changed something runs its
// natural checks and the input's `verify` checks as one `verifyRollback` child; its report is
// `verification`, and `verified` is false when that verdict is not healthy (the change stays made).
import type { VerificationReport } from '../verification.js';

/** When and from what a target was last rolled back by this service (read from its mark). */
export interface LastRollback {
  /** ISO 8601 time of the rollback that left the mark. */
  at: string;
  /** What was rolled back from, for people: "revision 3 (template 6d9f7c5b8)", "version 3". */
  from: string;
  /** The incident or workflow that rolled it back, when known. */
  by?: string;
}

/** Shared fields of every procedure's result; each procedure adds its own. */
export interface ProcedureResult {
  /** One line for people: kubectl's words where kubectl has them. */
  message: string;
  /** True when this run changed the system (false for a dry run and for a no-op). */
  changed: boolean;
  /** True when the procedure read its result back and it held (false for a dry run). */
  verified: boolean;
  /** The state rolled back from, for people ("revision 3", "version 3", "A 192.0.2.10"). */
  from: string;
  /** The state rolled back to, for people. */
  to: string;
  dryRun: boolean;
  /** The planned state and destination; give it back as the apply input's `pin`. */
  pin?: Record<string, unknown>;
  /** The target's newest rollback mark, when it has one. */
  lastRollback?: LastRollback;
  /** The verification suite's report after the change, when there were checks to run. */
  verification?: VerificationReport;
}
