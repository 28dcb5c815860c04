// Retry policies by kind of call. Errors that retrying cannot fix are non-retryable everywhere.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../domain/failures.js';

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
 * A short read-only call run as a local activity: no task-queue round trip, the result recorded
 * in the workflow task that asked for it (the P0 path's plan reads). Retried as a cloudApiCall;
 * past a minute of local retries the SDK backs off with timers, so a long outage costs no worker slot.
 */
export const localCloudRead: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '1 minute',
  retry: cloudApiCall.retry,
};

/**
 * A call that waits on something slow (a rollout, an instance to become available, a DNS change)
 * and heartbeats while it waits: a worker that dies is noticed within the heartbeat timeout and
 * the retry resumes from the last heartbeat.
 */
function waitingCall(startToCloseSeconds: number, heartbeatSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${startToCloseSeconds} seconds`,
    heartbeatTimeout: `${heartbeatSeconds} seconds`,
    retry: cloudApiCall.retry,
  };
}

/** A wait with its own overall limit of `limitSeconds` (the activity enforces it; two minutes of slack here). */
export function longWait(limitSeconds: number): ActivityOptions {
  return waitingCall(limitSeconds + 120, 20);
}

/** A wait bounded by its input (poll windows, INSYNC timeouts), at most 15 minutes per attempt. */
export const heartbeatingWait: ActivityOptions = waitingCall(15 * 60, 15);

/** Verification queries: a new database endpoint may take a few tries to accept connections. */
export const databaseQuery: ActivityOptions = {
  ...cloudApiCall,
  startToCloseTimeout: '2 minutes',
  // The queries heartbeat while they run: a dead worker costs 20 s, not the 2 minutes.
  heartbeatTimeout: '20 seconds',
};

/**
 * git and Terraform commands (plan, apply, state push): they run as long as Terraform needs and
 * heartbeat while they do, so a dead worker is noticed within 20 s and the retry resumes (an
 * apply is waited for, never started twice: src/activities/terraform.ts).
 */
export const terraformCommandCall: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { ...cloudApiCall.retry, maximumAttempts: 6 },
};
