// Failures as activities raise them: the vocabulary (src/domain/failures.ts) as Temporal
// failures, and AWS SDK errors classified by code and status.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES, type FailureTypeName } from '../domain/failures.js';
import { IAM_ACTIONS } from './awsPermissions.js';

export { FailureType, NON_RETRYABLE_FAILURE_TYPES, type FailureTypeName };

export function nonRetryable(type: FailureTypeName, message: string): ApplicationFailure {
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

/** Error codes the SDK itself treats as "slow down" (smithy's THROTTLING_ERROR_CODES): a Query or
 * REST-XML API answers them with a 400, so the status alone would call them client errors. */
const AWS_THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
/** 4xx answers that a later attempt can get past: a timeout, or a resource busy with another change. */
const AWS_TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
]);

interface AwsErrorShape {
  name?: string;
  $retryable?: object;
  $metadata?: { httpStatusCode?: number };
}

/**
 * How an AWS SDK error is to be treated, from its code and HTTP status (never its message):
 * `retry` for throttling, timeouts, conflicts, 5xx and network errors (no status); otherwise the
 * non-retryable failure type.
 */
export function classifyAwsError(error: unknown): 'retry' | FailureTypeName {
  const { name = '', $retryable, $metadata } = (error ?? {}) as AwsErrorShape;
  if (AWS_NOT_FOUND.has(name)) return 'NotFound';
  if (AWS_FORBIDDEN.has(name)) return 'Forbidden';
  if (AWS_INVALID.has(name)) return 'InvalidInput';
  const status = $metadata?.httpStatusCode;
  if ($retryable || AWS_THROTTLING.has(name) || AWS_TRANSIENT.has(name)) return 'retry';
  // A 403 for a skewed clock or an expired token is not a denial: the next attempt re-signs.
  if (AWS_TRANSIENT_403.has(name)) return 'retry';
  if (status === undefined || status < 400 || status >= 500) return 'retry';
  if (status === 408 || status === 409 || status === 429) return 'retry';
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  return 'InvalidInput';
}

/**
 * Maps an AWS SDK error to a Temporal failure: not-found, forbidden and other client errors (4xx)
 * become non-retryable with `context` in the message; throttling, conflicts, 5xx and network
 * errors are rethrown unchanged so the retry policy applies.
 */
export function fromAwsError(error: unknown, context: string): unknown {
  const detail = error instanceof Error ? error.message : String(error);
  const status = (error as AwsErrorShape | undefined)?.$metadata?.httpStatusCode;
  const code = `${status ? `HTTP ${status} ` : ''}${(error as AwsErrorShape | undefined)?.name ?? 'Error'}`;
  switch (classifyAwsError(error)) {
    case 'retry':
      return error;
    case 'NotFound':
      return nonRetryable('NotFound', `${context}: not found (${detail})`);
    case 'Forbidden':
      return nonRetryable('Forbidden', `${context}: ${accessDeniedMessage(error)}`);
    default:
      return nonRetryable('InvalidInput', `${context}: rejected by AWS (${code}: ${detail})`);
  }
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
