// Runs an activity function inside Temporal's activity context (heartbeats, logger, info) without
// a worker, keeping the function's own types (MockActivityEnvironment.run returns unknown).
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export interface ActivityContext {
  run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R>;
  /** The details of every heartbeat sent, in order. */
  heartbeats: unknown[];
}

/** A context scheduled now, optionally resuming from heartbeat details as a retry would. */
export function activityContext(heartbeatDetails?: unknown): ActivityContext {
  const env = new MockActivityEnvironment(
    { heartbeatDetails, currentAttemptScheduledTimestampMs: Date.now() },
    { logger: new DefaultLogger('ERROR') },
  );
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  return {
    run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => env.run(fn, ...args) as Promise<R>,
    heartbeats,
  };
}

/** Runs `fn` in a fresh activity context. */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return activityContext().run(fn, ...args);
}
