// `npm run bench:worker`: worker process start -> first workflow task done, with the workflow
// bundle prebuilt by `npm run build` against the same worker bundling at start
// (ROLLBACK_PREBUILT_BUNDLE=0), and each worker's idle RSS. A workflow with an invalid input is
// started at the moment the worker process is spawned; it fails at its first workflow task, so its
// result arrives as soon as the worker polls. Everything runs on loopback and stops by itself.
//   BENCH_RUNS (default 5 per mode)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { portAnswers, stopServices, waitUntil, type Service } from '../src/local/processes.js';
import { startTemporalDevServer, startWorkerService } from '../src/local/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const temporalPort = 18233 + Math.floor(Math.random() * 1000);
const address = `127.0.0.1:${temporalPort}`;

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  startMs: number;
  idleRssMiB: number;
}

async function oneStart(client: Client, logDir: string, mode: 'prebuilt' | 'bundle-at-start', i: number) {
  const taskQueue = `bench-worker-${mode}-${i}`;
  const started = performance.now();
  const worker = startWorkerService(
    { root, logDir },
    {
      address,
      taskQueue,
      awsEndpoint: 'http://127.0.0.1:9',
      env: { LOG_LEVEL: 'warn', ROLLBACK_PREBUILT_BUNDLE: mode === 'prebuilt' ? '1' : '0' },
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

function summary(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `min ${s[0]!.toFixed(0)}  median ${median.toFixed(0)}  max ${s[s.length - 1]!.toFixed(0)}`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-worker-'));
  const logDir = path.join(dataDir, 'logs');
  const services: Service[] = [];
  try {
    const temporal = startTemporalDevServer(
      { root, logDir },
      { port: temporalPort, dbFile: path.join(dataDir, 'temporal.db'), logLevel: 'error' },
    );
    services.push(temporal);
    await waitUntil('Temporal', temporal, () => portAnswers(temporalPort));
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const results: Record<string, Sample[]> = { prebuilt: [], 'bundle-at-start': [] };
    for (let i = 0; i < runs; i += 1) {
      // Interleaved, so a busy moment of the machine hits both modes alike.
      for (const mode of ['prebuilt', 'bundle-at-start'] as const) {
        results[mode]!.push(await oneStart(client, logDir, mode, i));
      }
    }
    await connection.close();
    console.log(`worker start -> first workflow task done, ${runs} runs each, ${os.cpus().length} cores`);
    for (const [mode, samples] of Object.entries(results)) {
      console.log(
        `  ${mode.padEnd(16)} start ms: ${summary(samples.map((x) => x.startMs))}   idle RSS MiB: ${summary(samples.map((x) => x.idleRssMiB))}`,
      );
    }
  } finally {
    await stopServices(services);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
