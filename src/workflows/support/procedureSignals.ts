// Signals between an incident and the procedure workflows it runs as children. A procedure that
// waits for a person (a destructive fallback rung) tells its parent, so the incident can show the
// wait in its `status`, announce it and forward a `confirm` (checked against its approvers) to the
// child with the child's own `confirm` signal (support/confirmation.ts).
import {
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import { stepConfirmationTimeoutSummary } from '../../domain/incident/summaries.js';

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

/** Signals the parent workflow, if any; a parent that is gone or refuses must not fail the procedure. */
async function tellParent<T>(signal: SignalDefinition<[T]>, payload: T): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(signal, payload);
  } catch (error) {
    log.warn(`could not signal parent ${parent.workflowId}: ${signal.name}`, { error: String(error) });
  }
}

/**
 * Every wait of a procedure for a person: told to the parent incident when it starts and how it
 * ended, bounded by `timeoutSeconds`. `settle` runs as soon as the wait ends (`answered` true or
 * the timeout) and gives the answer, undefined when there is none.
 */
export async function waitForPerson<A extends { by: string }>(
  step: string,
  timeoutSeconds: number,
  answered: () => boolean,
  settle: (answered: boolean) => A | undefined,
): Promise<A | undefined> {
  const { workflowId } = workflowInfo();
  await tellParent(procedureAwaitingSignal, { workflowId, step, timeoutSeconds, since: new Date().toISOString() });
  const ok = await condition(answered, timeoutSeconds * 1000, {
    summary: stepConfirmationTimeoutSummary(step, timeoutSeconds),
  });
  const answer = settle(ok);
  await tellParent(procedureAwaitSettledSignal, {
    workflowId,
    step,
    outcome: answer ? 'confirmed' : 'timed-out',
    by: answer?.by,
  });
  return answer;
}
