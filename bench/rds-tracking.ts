// `npm run bench:rds`: 200 concurrent restore trackings against the slow-RDS launcher, each
// restore taking 60 s. Prints the worker's peak memory (RSS), history events per workflow and
// the total wall time. Everything runs on loopback and stops by itself.
//   BENCH_RDS_N or BENCH_RESTORES (default 200; 1000 for goal 4's figure), BENCH_RESTORE_SECONDS (default 60),
//   BENCH_RDS_TIMEOUT_MINUTES (default 15: then the figures so far are printed and it fails),
//   BENCH_WORKER_HEAP_MB (default 0: the worker's own limits): a V8 heap limit for the whole worker
//   process (--max-old-space-size), which overrides the worker's workflow thread limit
//   (ROLLBACK_WORKER_WORKFLOW_HEAP_MB, src/worker/workflowHeapLimit.ts); its cache size and slots are
//   src/worker/workerTuning.ts's (the ROLLBACK_WORKER_* variables pass through to it).
//   A run evicted from the cache replays its history (under 50 events) at its next task.
//   The worker logs its memory every 5 s (ROLLBACK_WORKER_MEMORY_LOG_SECONDS): the line at its peak
//   RSS is printed, to show what the RSS is made of.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../src/codec/index.js';
import { seedRdsInstance } from '../tools/demo/seedRds.js';
import { configureSlowRds } from '../tools/local/slowRds.js';
import { runHistoryLengths } from '../tools/histories.js';
import { portAnswers, stopServices, waitUntil, type Service } from '../tools/local/processes.js';
import { startSlowRdsMoto, startTemporalDevServer, startWorkerService } from '../tools/local/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const restores = Number(process.env.BENCH_RDS_N ?? process.env.BENCH_RESTORES ?? 200);
const restoreSeconds = Number(process.env.BENCH_RESTORE_SECONDS ?? 60);
const timeoutMinutes = Number(process.env.BENCH_RDS_TIMEOUT_MINUTES ?? 15);
const workerHeapMiB = Number(process.env.BENCH_WORKER_HEAP_MB ?? 0);
const temporalPort = 17233 + Math.floor(Math.random() * 1000);
const motoPort = temporalPort + 1000;
const address = `127.0.0.1:${temporalPort}`;
const taskQueue = 'bench-rds';

process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// moto counts each restored instance's automated snapshot against a quota of 1,000 (real RDS does
// not): 1,000 restores hit it ("SnapshotQuotaExceededFault") and a few failed.
process.env.MOTO_RDS_SNAPSHOT_LIMIT ??= '100000';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** A failed workflow's own message (its cause), not only "Workflow execution failed". */
function failureText(reason: unknown): string {
  const cause = (reason as { cause?: { message?: string } } | undefined)?.cause?.message;
  return cause ? `${String(reason)}: ${cause}` : String(reason);
}

/** The worker's "worker memory" log line (src/worker/memoryLog.ts) with the highest RSS. */
function peakMemoryLine(logFile: string): Record<string, unknown> | undefined {
  if (!existsSync(logFile)) return undefined;
  let peak: Record<string, unknown> | undefined;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"worker memory"')) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (!peak || Number(entry.rssMiB) > Number(peak.rssMiB)) peak = entry;
    } catch {
      // A line cut by the worker's stop.
    }
  }
  return peak;
}

function printMemory(logFile: string): void {
  const m = peakMemoryLine(logFile);
  if (!m) return;
  console.log(
    `worker memory at its peak (5-s samples): rss ${m.rssMiB} MiB = main V8 heap ${m.heapTotalMiB} (used ${m.heapUsedMiB})` +
      ` + external ${m.externalMiB} + the rest (workflow thread isolate, Rust core, code); cached runs ${m.cachedWorkflows}, activities in flight ${m.activities}`,
  );
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-rds-'));
  const logDir = path.join(dataDir, 'logs');
  const services: Service[] = [];
  try {
    const stackPaths = { root, logDir };
    const temporal = startTemporalDevServer(stackPaths, {
      port: temporalPort,
      dbFile: path.join(dataDir, 'temporal.db'),
      logLevel: 'error',
    });
    services.push(temporal);
    const moto = startSlowRdsMoto(stackPaths, motoPort);
    services.push(moto.service);
    const motoEndpoint = moto.endpoint;
    await moto.ready();
    await waitUntil('Temporal', temporal, () => portAnswers(temporalPort));
    await configureSlowRds(motoEndpoint, { seconds: 0 });
    await seedRdsInstance({ endpoint: motoEndpoint, region: 'us-east-1' }, 'orders-prod');
    await configureSlowRds(motoEndpoint, { seconds: restoreSeconds });

    const worker = startWorkerService(stackPaths, {
      address,
      taskQueue,
      awsEndpoint: motoEndpoint,
      env: {
        LOG_LEVEL: 'warn',
        ROLLBACK_WORKER_MEMORY_LOG_SECONDS: process.env.ROLLBACK_WORKER_MEMORY_LOG_SECONDS ?? '5',
        ...(workerHeapMiB > 0
          ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${workerHeapMiB}`.trim() }
          : {}),
      },
    });
    services.push(worker);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, dataConverter: dataConverterFromEnv() });

    worker.child.once('exit', (code, signal) => {
      console.error(`bench: the worker exited (${signal ?? `code ${code}`}); see ${worker.logFile}`);
    });
    let peakRss = 0;
    const sampler = setInterval(() => {
      try {
        if (worker.child.pid && worker.child.exitCode === null) peakRss = Math.max(peakRss, rssMiB(worker.child.pid));
      } catch {
        // The worker is gone between the check and the read; its exit is reported above.
      }
    }, 250);

    const heap = workerHeapMiB > 0 ? `worker heap limit ${workerHeapMiB} MiB` : "the worker's own heap limits";
    console.log(
      `bench: ${restores} restores of ${restoreSeconds}s each, one worker (${heap}, ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS ${process.env.ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS ?? "unset: the worker's default"}), Temporal dev server (SQLite)`,
    );
    const started = Date.now();
    const ids = Array.from({ length: restores }, (_, i) => `bench-restore-${i}`);
    // 100 starts in flight at a time: 1,000 at once on a loaded machine timed out in the client
    // ("Failed to start Workflow"); the restores still all run at once, each start taking a few ms.
    const handles: Awaited<ReturnType<typeof client.workflow.start>>[] = [];
    for (let from = 0; from < ids.length; from += 100) {
      handles.push(
        ...(await Promise.all(
          ids.slice(from, from + 100).map((workflowId, j) =>
            client.workflow.start('rdsSnapshotRestore', {
              taskQueue,
              workflowId,
              args: [{ sourceInstanceId: 'orders-prod', targetInstanceId: `orders-bench-${from + j}` }],
            }),
          ),
        )),
      );
    }
    // Past the limit, the figures so far are printed and the services stopped (finally below).
    let done = 0;
    const settled = handles.map((h) => h.result().finally(() => (done += 1)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMinutes * 60_000);
    });
    const outcome = await Promise.race([Promise.allSettled(settled), timedOut]);
    const wallSeconds = (Date.now() - started) / 1000;
    clearTimeout(timer);
    clearInterval(sampler);
    if (outcome === 'timeout') {
      console.error(`bench: not finished after ${timeoutMinutes} minutes (${done} of ${restores} done); stopping`);
      console.log(`worker peak RSS:      ${peakRss.toFixed(0)} MiB`);
      printMemory(worker.logFile);
      process.exitCode = 1;
      await connection.close();
      return;
    }
    const results = outcome;

    const failed = results.filter((r) => r.status === 'rejected');
    const perWorkflow: number[] = [];
    const perRun: number[] = [];
    const runs: number[] = [];
    for (const workflowId of ids) {
      const lengths = await runHistoryLengths(client, workflowId);
      perRun.push(...lengths);
      perWorkflow.push(lengths.reduce((a, b) => a + b, 0));
      runs.push(lengths.length);
    }
    perWorkflow.sort((a, b) => a - b);
    perRun.sort((a, b) => a - b);
    runs.sort((a, b) => a - b);
    console.log(
      `completed:            ${restores - failed.length} of ${restores}${failed.length ? ` (first failure: ${failureText((failed[0] as PromiseRejectedResult).reason)})` : ''}`,
    );
    console.log(`total wall time:      ${wallSeconds.toFixed(1)} s (restores take ${restoreSeconds} s each)`);
    console.log(`worker peak RSS:      ${peakRss.toFixed(0)} MiB`);
    printMemory(worker.logFile);
    console.log(
      `history events per workflow (all runs): min ${perWorkflow[0]}, median ${percentile(perWorkflow, 0.5)}, max ${perWorkflow.at(-1)}`,
    );
    console.log(`history events per run:                 median ${percentile(perRun, 0.5)}, max ${perRun.at(-1)}`);
    console.log(`runs per workflow (continue-as-new):    median ${percentile(runs, 0.5)}, max ${runs.at(-1)}`);
    await connection.close();
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    await stopServices(services);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Exits once main has stopped the services: a timed-out run leaves result calls that would hold it.
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(`bench failed: ${failureText(error)}`);
    process.exit(1);
  },
);
