// One vocabulary of failure types for every activity, so workflows and retry policies can say
// which errors retrying cannot fix.
import { ApplicationFailure } from '@temporalio/common';
import { IAM_ACTIONS } from './awsPermissions.js';

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
/** 403s that a later attempt can pass: the SDK corrects its clock and refreshes temporary credentials. */
const AWS_TRANSIENT_403 = new Set(['RequestTimeTooSkewed', 'ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
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
 * rethrown unchanged so the retry policy applies. Decided by the error's code and HTTP status,
 * never by its text: any 403 but a clock or token expiry is a denial.
 */
export function fromAwsError(error: unknown, context: string): unknown {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const detail = error instanceof Error ? error.message : String(error);
  if (AWS_NOT_FOUND.has(name)) return nonRetryable('NotFound', `${context}: not found (${detail})`);
  if (AWS_FORBIDDEN.has(name) || (status === 403 && !AWS_TRANSIENT_403.has(name))) {
    return nonRetryable('Forbidden', `${context}: ${accessDeniedMessage(error)}`);
  }
  if (AWS_INVALID.has(name)) return nonRetryable('InvalidInput', `${context}: rejected by AWS (${detail})`);
  return error;
}

/**
 * `AccessDenied: lambda:UpdateAlias is not allowed (<AWS's code and words>)`. The actions come
 * from the command (awsPermissions.ts); an answer the SDK could not read as a service error (moto
 * answers JSON services in XML) is reported by its status only.
 */
function accessDeniedMessage(error: unknown): string {
  const e = (error ?? {}) as { name?: string; message?: string; $fault?: string; [IAM_ACTIONS]?: readonly string[] };
  // The command's own action; the others it may need (lambda:ListTags) are not refused with a 403.
  const action = e[IAM_ACTIONS]?.[0];
  const named = action ? `${action} is not allowed` : 'not allowed';
  // "Unknown" is the SDK's name for an error code it could not find in the body.
  const said = e.$fault && e.name !== 'Unknown' ? `${e.name}: ${e.message}` : 'HTTP 403';
  return `AccessDenied: ${named} (${said})`;
}
