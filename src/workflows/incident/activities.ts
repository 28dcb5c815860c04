// Activity stubs for the incident workflows, one retry policy per kind of call.
import { proxyActivities } from '@temporalio/workflow';
import type { HttpActivities, NotifyActivities, TemporalActivities } from '../../activities/types.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../domain/failures.js';

/** Announcements: a few quick retries; the workflow records a delivery that still fails. */
export const notifications = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

/** An error-rate probe: the monitor polls again in minutes, so a probe gives up quickly. */
export const probes = proxyActivities<HttpActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** Questions about Temporal itself (registered search attributes). */
export const temporalApi = proxyActivities<TemporalActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});
