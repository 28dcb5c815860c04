// Signals between an incident and the procedure workflows it runs as children. A procedure that
// waits for a person (a destructive fallback rung) tells its parent, so the incident can show the
// wait in its `status`, announce it and forward a `confirm` (checked against its approvers) to the
// child with the child's own `confirm` signal (support/confirmation.ts).
import { defineSignal } from '@temporalio/workflow';

export interface ProcedureAwaiting {
  /** The child procedure's workflow ID. */
  workflowId: string;
  /** What it waits to have confirmed, e.g. "scale to zero and back". */
  step: string;
  /** How long it waits before giving up on that step. */
  timeoutSeconds: number;
  /** ISO 8601 time the wait began (the child's workflow clock). */
  since: string;
}

export interface ProcedureAwaitSettled {
  workflowId: string;
  step: string;
  outcome: 'confirmed' | 'timed-out';
  by?: string;
}

/** Child -> parent: a procedure started waiting for a person. */
export const procedureAwaitingSignal = defineSignal<[ProcedureAwaiting]>('procedureAwaiting');
/** Child -> parent: that wait ended. */
export const procedureAwaitSettledSignal = defineSignal<[ProcedureAwaitSettled]>('procedureAwaitSettled');
