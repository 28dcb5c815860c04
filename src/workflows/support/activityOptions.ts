// Retry policies by kind of call. Errors that retrying cannot fix are non-retryable everywhere.
import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../activities/failures.js';

/** A short call to a cloud API: retried with backoff for about five minutes, then failed. */
export const cloudApiCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 12,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
};

/**
 * An activity that waits (polling and heartbeating) for up to `limitSeconds`: a worker lost
 * mid-wait is noticed within the heartbeat timeout and the wait resumes elsewhere.
 */
export function longWait(limitSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${limitSeconds + 120} seconds`,
    heartbeatTimeout: '20 seconds',
    retry: cloudApiCall.retry,
  };
}

/**
 * A call that waits on something slow (an instance to become available, a rollout, a DNS change)
 * and heartbeats while it waits: a worker that dies is noticed within the heartbeat timeout and
 * the retry resumes from the last heartbeat.
 */
export const heartbeatingWait: ActivityOptions = {
  ...cloudApiCall,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '15 seconds',
};

/** Verification queries: a new database endpoint may take a few tries to accept connections. */
export const databaseQuery: ActivityOptions = {
  ...cloudApiCall,
  startToCloseTimeout: '2 minutes',
};
