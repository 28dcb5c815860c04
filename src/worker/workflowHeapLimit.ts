// The workflow thread's V8 heap limit (ROLLBACK_WORKER_WORKFLOW_HEAP_MB, default 256 MiB). The SDK
// starts its workflow thread without resource limits, so the thread takes the process's limit:
// Node's default is up to 4 GiB, and V8 lets a heap grow lazily toward its limit. With 1,000
// restores that thread's heap took the worker's RSS to 736 MiB while the main thread's heap stayed
// under 100 MiB (issue 13, goal 4; docs/bench.md). 100 cached runs (workerTuning.ts) live in far
// less than 256 MiB; raise both together.
import v8 from 'node:v8';
import { z } from 'zod';
import { ConfigError } from '../config/env.js';

const schema = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).default(256));

export function workflowHeapMiBFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = schema.safeParse(env.ROLLBACK_WORKER_WORKFLOW_HEAP_MB);
  if (!parsed.success) {
    throw new ConfigError('invalid configuration: ROLLBACK_WORKER_WORKFLOW_HEAP_MB: expected a whole number of MiB');
  }
  return parsed.data;
}

/** True when the operator set the process's heap limit (NODE_OPTIONS or the node command line). */
export function heapLimitSetByOperator(
  execArgv: string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--max[-_]old[-_]space[-_]size/.test(a));
}

/**
 * Sets the heap limit of the isolates created from now on (the workflow thread; the main thread's
 * heap is configured already), unless `mib` is 0 or the operator set a limit. Call before
 * Worker.create. Returns the limit set, or undefined.
 */
export function limitWorkflowThreadHeap(mib: number): number | undefined {
  if (mib === 0 || heapLimitSetByOperator()) return undefined;
  v8.setFlagsFromString(`--max-old-space-size=${mib}`);
  return mib;
}
