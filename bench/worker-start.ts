// `npm run bench:worker`: worker process start -> first workflow task done, with the workflow
// bundle prebuilt by `npm run build` against the same worker bundling at start
// (ROLLBACK_PREBUILT_BUNDLE=0), and each worker's idle RSS (bench/support/workerStart.ts; also a
// row of `npm run bench`). Everything runs on loopback and stops by itself.
//   BENCH_RUNS (default 5 per mode)
//   BENCH_BASELINE_DIST  the `dist/` of another commit's `npm run build`, copied under this repository
//                        (e.g. .data/baseline-dist): its worker is timed too, interleaved (docs/bench.md)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../src/codec/index.js';
import { portAnswers, stopServices, waitUntil, type Service } from '../tools/local/processes.js';
import { startTemporalDevServer } from '../tools/local/stack.js';
import { measureWorkerStarts } from './support/workerStart.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const temporalPort = 18233 + Math.floor(Math.random() * 1000);
const address = `127.0.0.1:${temporalPort}`;

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
    const client = new Client({ connection, dataConverter: dataConverterFromEnv() });
    const baselineDist = process.env.BENCH_BASELINE_DIST;
    const results = await measureWorkerStarts(client, { root, logDir, address, baselineDist }, runs);
    await connection.close();
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    console.log(`worker start -> first workflow task done, ${runs} runs each, ${os.cpus().length} cores, load ${load}`);
    for (const [mode, samples] of Object.entries(results).filter(([, samples]) => samples.length > 0)) {
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
