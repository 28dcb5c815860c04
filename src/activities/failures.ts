// One vocabulary of failure types for every activity, so workflows and retry policies can say
// which errors retrying cannot fix.
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  InvalidInput: 'InvalidInput',
  NotFound: 'NotFound',
  Forbidden: 'Forbidden',
  Conflict: 'Conflict',
  VerificationFailed: 'VerificationFailed',
  /** The resource is in a state that forbids the change (a paused Deployment). */
  FailedPrecondition: 'FailedPrecondition',
  /** A rollout that can no longer finish (progress deadline exceeded). */
  RolloutFailed: 'RolloutFailed',
  /** A rollback and all its allowed fallbacks did not settle; a person must act. */
  RollbackFailed: 'RollbackFailed',
  /** A resource reached a state it never leaves on its own (an RDS instance in `failed`). */
  TerminalState: 'TerminalState',
  /** A wait ran past its overall limit. */
  WaitLimitExceeded: 'WaitLimitExceeded',
  /** The system moved away from the state the plan was pinned to; a person must re-plan. */
  TargetChanged: 'TargetChanged',
  /** The destination carries a rollback mark (it was rolled back from); needs allowMarkedTarget. */
  MarkedTarget: 'MarkedTarget',
  /** The worker itself is not configured to reach the system (no KUBECONFIG, no credentials). */
  NotConfigured: 'NotConfigured',
} as const;

/** Errors that no retry can fix: every activity options object lists them as non-retryable. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(FailureType);

export function nonRetryable(type: keyof typeof FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

const AWS_NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'NoSuchHostedZone',
  'NotFoundException',
  'ResourceNotFound',
  'DBSubnetGroupNotFoundFault',
]);
const AWS_FORBIDDEN = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);
const AWS_INVALID = new Set([
  'ValidationException',
  'InvalidParameterValueException',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidInput',
  'InvalidRestoreFault',
  'PointInTimeRestoreNotEnabled',
  'PointInTimeRestoreNotEnabledFault',
  'InvalidChangeBatch',
  'InvalidDomainName',
]);

/**
 * Maps an AWS SDK error to a Temporal failure: not-found, forbidden and validation errors become
 * non-retryable with `context` in the message; anything else (throttling, 5xx, network) is
 * rethrown unchanged so the retry policy applies.
 */
export function fromAwsError(error: unknown, context: string): unknown {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  if (AWS_NOT_FOUND.has(name)) return nonRetryable('NotFound', `${context}: not found (${detail})`);
  if (AWS_FORBIDDEN.has(name)) return nonRetryable('Forbidden', `${context}: access denied (${detail})`);
  if (AWS_INVALID.has(name)) return nonRetryable('InvalidInput', `${context}: rejected by AWS (${detail})`);
  return error;
}
