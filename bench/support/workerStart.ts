// Goal 5 of issue 13: worker process start -> first workflow task done, prebuilt workflow bundle
// against bundling at start (ROLLBACK_PREBUILT_BUNDLE=0), and each worker's idle RSS. A workflow
// with an invalid input is started at the moment the worker process is spawned; it fails at its
// first workflow task, so its result arrives as soon as the worker polls. With `baselineDist` (a
// `dist/` of another commit, under this repository so it finds node_modules), that build's worker
// is a third mode, interleaved with the others: a before/after under the same load.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { stopServices } from '../../tools/local/processes.js';
import { startWorkerService } from '../../tools/local/stack.js';

export type WorkerStartMode = 'prebuilt' | 'bundle-at-start' | 'baseline';

export interface WorkerStartSample {
  startMs: number;
  idleRssMiB: number;
}

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function oneStart(
  client: Client,
  stack: { root: string; logDir: string; address: string; baselineDist?: string },
  mode: WorkerStartMode,
  i: number,
): Promise<WorkerStartSample> {
  const taskQueue = `bench-worker-${mode}-${i}`;
  const started = performance.now();
  const worker = startWorkerService(
    { root: stack.root, logDir: stack.logDir },
    {
      address: stack.address,
      taskQueue,
      awsEndpoint: 'http://127.0.0.1:9',
      env: { LOG_LEVEL: 'warn', ROLLBACK_PREBUILT_BUNDLE: mode === 'bundle-at-start' ? '0' : '1' },
      ...(mode === 'baseline' && stack.baselineDist
        ? { entry: path.resolve(stack.baselineDist, 'src', 'worker', 'main.js') }
        : {}),
    },
  );
  try {
    const handle = await client.workflow.start('lambdaAliasRollback', {
      taskQueue,
      workflowId: `${taskQueue}-${Date.now()}`,
      args: [{}],
    });
    await handle.result().catch(() => undefined); // fails on its first task: "functionName: Required"
    const startMs = performance.now() - started;
    await sleep(3_000);
    return { startMs, idleRssMiB: rssMiB(worker.child.pid!) };
  } finally {
    await stopServices([worker]);
  }
}

/** `runs` starts per mode, interleaved so a busy moment of the machine hits every mode alike. */
export async function measureWorkerStarts(
  client: Client,
  stack: { root: string; logDir: string; address: string; baselineDist?: string },
  runs: number,
): Promise<Record<WorkerStartMode, WorkerStartSample[]>> {
  const results: Record<WorkerStartMode, WorkerStartSample[]> = { prebuilt: [], 'bundle-at-start': [], baseline: [] };
  const modes: WorkerStartMode[] = [
    'prebuilt',
    'bundle-at-start',
    ...(stack.baselineDist ? ['baseline' as const] : []),
  ];
  for (let i = 0; i < runs; i += 1) {
    for (const mode of modes) {
      results[mode].push(await oneStart(client, stack, mode, i));
    }
  }
  return results;
}
