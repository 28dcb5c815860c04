// ROLLBACK_WORKER_MEMORY_LOG_SECONDS: a log line of the worker's memory and load every N seconds,
// to see what its RSS is made of (issue 13, goal 4). The main thread's V8 heap and the buffers
// outside it are read here; the rest of the RSS is the workflow thread's isolate, the SDK's Rust
// core and the code.
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError } from '../config/env.js';

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

export function memoryLogSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = z.coerce.number().min(0).default(0).safeParse(env.ROLLBACK_WORKER_MEMORY_LOG_SECONDS);
  if (!parsed.success) {
    throw new ConfigError('invalid configuration: ROLLBACK_WORKER_MEMORY_LOG_SECONDS: expected a number of seconds');
  }
  return parsed.data;
}

/** Logs every `seconds` until the returned function is called; nothing when `seconds` is 0. */
export function logMemoryEvery(seconds: number, worker: Worker, logger: Logger): () => void {
  if (seconds <= 0) return () => undefined;
  // Asked for explicitly, so written whatever LOG_LEVEL says.
  const memoryLogger = logger.child({}, { level: 'info' });
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const s = worker.getStatus();
    memoryLogger.info(
      {
        rssMiB: mib(m.rss),
        heapUsedMiB: mib(m.heapUsed),
        heapTotalMiB: mib(m.heapTotal),
        externalMiB: mib(m.external),
        arrayBuffersMiB: mib(m.arrayBuffers),
        cachedWorkflows: s.numCachedWorkflows,
        activations: s.numInFlightWorkflowActivations,
        activities: s.numInFlightActivities,
      },
      'worker memory',
    );
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
