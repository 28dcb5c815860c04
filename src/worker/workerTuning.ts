// The worker's capacity, from the environment, with fixed defaults. Left to the SDK, the workflow
// cache is sized from the V8 heap limit (600 runs per GiB above 200 MiB): about 2,300 cached runs
// with Node's default heap on a 24 GiB machine, so a worker's memory depended on the machine it ran
// on, not on its load (issue 13, goal 4; docs/bench.md).
import type { WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { parseEnv } from '../config/env.js';

// An empty variable is unset (a compose file's `VAR=`), not 0, which would turn the cache off.
const count = (min: number, fallback: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).default(fallback));

const tuningSchema = z.object({
  // A cached run keeps its state in the workflow thread's V8 isolate and its history in the core;
  // an evicted run replays its history (under 50 events: restores continue as new) at its next task.
  ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: count(0, 100),
  // Workflow tasks run one at a time in the single workflow thread: more slots only queue them.
  ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(2, 10),
  // Activities hold a slot for their whole run, and rollout and helm waits run for minutes.
  ROLLBACK_WORKER_MAX_CONCURRENT_ACTIVITIES: count(1, 100),
});

export type WorkerTuning = Pick<
  WorkerOptions,
  'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions'
>;

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const e = parseEnv(tuningSchema, env);
  return {
    maxCachedWorkflows: e.ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS,
    // The SDK refuses more workflow task slots than cached runs (unless the cache is off).
    maxConcurrentWorkflowTaskExecutions:
      e.ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS > 0
        ? Math.min(e.ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, Math.max(2, e.ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS))
        : e.ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: e.ROLLBACK_WORKER_MAX_CONCURRENT_ACTIVITIES,
  };
}
