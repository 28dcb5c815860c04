// A procedure that fails because an activity gave up should fail with that activity's own
// message ("lambda: function "x" not found"), not Temporal's generic "Activity task failed".
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { WorkflowFailureType, type ProcedureFailureType } from '../../domain/failures.js';

/**
 * A non-retryable failure for a person to read: its stack trace is dropped, because a bad input
 * or a missing resource is explained by the message, not by our call stack. `type` is one of
 * the vocabulary's (ProcedureFailureType), or an activity's own type passed on.
 */
export function procedureFailure(
  type: ProcedureFailureType | (string & {}),
  message: string,
  cause?: Error,
): ApplicationFailure {
  const failure = ApplicationFailure.create({ type, message, nonRetryable: true, cause });
  failure.stack = '';
  return failure;
}

export function unwrapActivityFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) {
    return procedureFailure(error.cause.type ?? WorkflowFailureType.ActivityFailed, error.cause.message, error);
  }
  return error;
}

/** Runs a procedure body so that its failure names the resource at fault. */
export async function asProcedure<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw unwrapActivityFailure(error);
  }
}
