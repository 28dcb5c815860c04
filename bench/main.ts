// `npm run bench`: the figures of issue 13 with their comparisons, measured in one run and printed
// as one table. Starts the local control plane (scripts/k8s/up.sh, K8S_* ports honoured), a
// Temporal dev server, the worker and the trigger on free ports; stops what it started.
//   BENCH_N              P0 incidents for goal 1 (default 200)
//   BENCH_E2E_RUNS       incident / kubectl pairs for goal 2 (default 10)
//   BENCH_STORM_ALERTS   alerts in the storm (default 5000), BENCH_STORM_SERVICES (default 50),
//   BENCH_STORM_SECONDS  the storm's duration (default 10), BENCH_STORM_IN_FLIGHT (default 500)
//   BENCH_WORKER_RUNS    worker starts per mode for goal 5 (default 3)
//   BENCH_ONLY=incidents goals 1 and 2 only; BENCH_BREAKDOWN=1 prints where goal 2's last incident spent its time
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../src/codec/index.js';
import { stopServices, type Service } from '../tools/local/processes.js';
import { alertToFirstPatch, endToEnd, incidentBreakdown } from './incidents.js';
import { alertStorm, STORM_IN_FLIGHT } from './storm.js';
import {
  ensureCluster,
  FirstChangeWatch,
  kubectl,
  seedDeployments,
  stopCluster,
  type Cluster,
} from './support/cluster.js';
import { median, ms, percentile } from './support/stats.js';
import { startBenchStack, writeCatalog, type CatalogService } from './support/stack.js';
import { measureWorkerStarts } from './support/workerStart.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const numberFromEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const N = numberFromEnv('BENCH_N', 200);
const E2E_RUNS = numberFromEnv('BENCH_E2E_RUNS', 10);
const STORM_ALERTS = numberFromEnv('BENCH_STORM_ALERTS', 5000);
const STORM_SERVICES = numberFromEnv('BENCH_STORM_SERVICES', 50);
const STORM_SECONDS = numberFromEnv('BENCH_STORM_SECONDS', 10);
const WORKER_RUNS = numberFromEnv('BENCH_WORKER_RUNS', 3);
const ONLY = process.env.BENCH_ONLY;

interface Row {
  goal: string;
  figure: string;
  measured: string;
  comparison: string;
  target: string;
  met: boolean | undefined;
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

function printTable(rows: Row[]): void {
  const header = ['goal', 'figure', 'measured', 'comparison (same run)', 'target', 'result'];
  const cells = rows.map((r) => [
    r.goal,
    r.figure,
    r.measured,
    r.comparison,
    r.target,
    r.met === undefined ? 'n/a' : r.met ? 'OK' : 'NOT MET',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const services: Service[] = [];
  let cluster: Cluster | undefined;
  let watch: FirstChangeWatch | undefined;
  let connection: Connection | undefined;
  const namespace = `bench-${Date.now().toString(36)}`;
  const rows: Row[] = [];
  try {
    const t0 = performance.now();
    cluster = await ensureCluster(root);
    const warmups = names('warm', 1);
    const p0 = names('p0', N);
    const e2e = names('e2e', E2E_RUNS);
    const twins = names('kubectl', E2E_RUNS + 1);
    const storm = names('storm', STORM_SERVICES);
    const seeded = await seedDeployments(cluster, namespace, [...warmups, ...p0, ...e2e, ...twins, 'storm-target']);
    const catalogFile = path.join(dataDir, 'catalog.yaml');
    const catalog: CatalogService[] = [
      ...[...warmups, ...p0, ...e2e].map((name) => ({ name, namespace, deployment: name })),
      ...storm.map((name) => ({ name, namespace, deployment: 'storm-target' })),
    ];
    writeCatalog(catalogFile, catalog);
    const stack = await startBenchStack({ root, dataDir, catalogFile, kubeconfigPath: cluster.kubeconfigPath });
    services.push(...stack.services);
    connection = await Connection.connect({ address: stack.address });
    const client = new Client({ connection, dataConverter: dataConverterFromEnv() });
    watch = new FirstChangeWatch(cluster, namespace, seeded);
    await watch.start();
    console.log(
      `bench: ${seeded.size} Deployments seeded in "${namespace}", stack up in ${ms(performance.now() - t0)}; ${os.cpus().length} cores`,
    );

    // One incident and one kubectl pair first, not counted: the worker's and trigger's first calls
    // load code and open connections, which a running service has done long before an incident.
    await endToEnd(cluster, client, stack.triggerUrl, watch, namespace, [
      { incident: warmups[0]!, kubectl: twins[E2E_RUNS]! },
    ]);

    console.log(`bench: goal 2, ${E2E_RUNS} incidents and ${E2E_RUNS} kubectl undo+status, alternating`);
    const e = await endToEnd(
      cluster,
      client,
      stack.triggerUrl,
      watch,
      namespace,
      e2e.map((incident, i) => ({ incident, kubectl: twins[i]! })),
    );
    const ratio = median(e.incidentMs) / median(e.kubectlMs);
    rows.push({
      goal: '2',
      figure: `P0 alert -> incident result (undo, rollout, verified), median / p95 of ${e.incidentMs.length}`,
      measured: `${ms(median(e.incidentMs))} / ${ms(percentile(e.incidentMs, 0.95))}`,
      comparison: `kubectl undo && status ${ms(median(e.kubectlMs))} / ${ms(percentile(e.kubectlMs, 0.95))}: ${ratio.toFixed(2)}x`,
      target: '<= 1.5x kubectl',
      met: e.failures.length === 0 && ratio <= 1.5,
    });
    if (process.env.BENCH_BREAKDOWN === '1' && e.last) {
      console.log(`bench: where ${e.last.service}'s time went (ms after the alert was sent):`);
      for (const line of await incidentBreakdown(client, e.last.service, e.last.sentAtEpochMs)) console.log(line);
    }

    console.log(`bench: goal 1, ${N} P0 incidents one after the other`);
    const a = await alertToFirstPatch(stack.triggerUrl, watch, p0);
    const p50 = percentile(a.latencies, 0.5);
    const p99 = percentile(a.latencies, 0.99);
    rows.push({
      goal: '1',
      figure: `P0 alert sent -> undo patch seen on the Deployment, p50 / p99 of ${a.latencies.length}`,
      measured: `${ms(p50)} / ${ms(p99)}`,
      comparison: `kubectl rollout undo process ${ms(median(e.kubectlUndoMs))} / ${ms(percentile(e.kubectlUndoMs, 0.99))}`,
      target: 'p50 < 50 ms, p99 < 100 ms',
      met: a.failures.length === 0 && a.latencies.length === N && p50 < 50 && p99 < 100,
    });
    rows.push({
      goal: '1',
      figure: `  the same with no other incident running (goal 2's), median / max of ${e.incidentFirstPatchMs.length}`,
      measured: `${ms(median(e.incidentFirstPatchMs))} / ${ms(Math.max(...e.incidentFirstPatchMs))}`,
      comparison: `trigger answer p50 / p99 ${ms(percentile(a.triggerMs, 0.5))} / ${ms(percentile(a.triggerMs, 0.99))}`,
      target: '',
      met: undefined,
    });

    if (ONLY === 'incidents') {
      console.log('');
      printTable(rows);
      return;
    }

    console.log(`bench: goal 3, ${STORM_ALERTS} alerts for ${STORM_SERVICES} services in ${STORM_SECONDS} s`);
    const s = await alertStorm(client, stack.triggerUrl, storm, {
      alerts: STORM_ALERTS,
      seconds: STORM_SECONDS,
      inFlight: numberFromEnv('BENCH_STORM_IN_FLIGHT', STORM_IN_FLIGHT),
    });
    const stormP99 = percentile(s.latencies, 0.99);
    rows.push({
      goal: '3',
      figure: `storm: ${s.alerts} alerts, ${STORM_SERVICES} services, one alert per POST, sent in ${ms(s.wallMs)}`,
      measured: `${s.incidents} incidents, ${s.alertsCounted} alerts counted, ${s.serverErrors} 5xx`,
      comparison: `${s.otherRefusals} other non-202`,
      target: `${STORM_SERVICES} incidents, ${STORM_ALERTS} counted, no 5xx`,
      met: s.incidents === STORM_SERVICES && s.alertsCounted === STORM_ALERTS && s.serverErrors === 0,
    });
    rows.push({
      goal: '3',
      figure: '  storm: trigger answer time p50 / p99',
      measured: `${ms(percentile(s.latencies, 0.5))} / ${ms(stormP99)}`,
      comparison: `achieved ${(s.alerts / (s.wallMs / 1000)).toFixed(0)} alerts/s`,
      target: 'p99 < 50 ms',
      met: stormP99 < 50,
    });

    console.log(`bench: goal 5, ${WORKER_RUNS} worker starts per mode`);
    const w = await measureWorkerStarts(
      client,
      { root, logDir: path.join(dataDir, 'logs'), address: stack.address },
      WORKER_RUNS,
    );
    const prebuiltMs = median(w.prebuilt.map((x) => x.startMs));
    rows.push({
      goal: '5',
      figure: `worker process start -> first workflow task, prebuilt bundle, median of ${WORKER_RUNS}`,
      measured: `${ms(prebuiltMs)}, idle RSS ${median(w.prebuilt.map((x) => x.idleRssMiB)).toFixed(0)} MiB`,
      comparison: `bundle at start ${ms(median(w['bundle-at-start'].map((x) => x.startMs)))}, idle RSS ${median(w['bundle-at-start'].map((x) => x.idleRssMiB)).toFixed(0)} MiB`,
      target: '< 1 s',
      met: prebuiltMs < 1000,
    });

    console.log('');
    printTable(rows);
    console.log('');
    console.log('Not in this table: goal 4, `npm run bench:rds` (BENCH_RDS_N=1000 for the full figure, about 3');
    console.log('minutes of 60-s restores); goal 6 (npm ci && npm start on a new machine) is not built.');
    const failures = [...e.failures, ...a.failures];
    if (failures.length > 0) console.log(`failures (${failures.length}): ${failures.slice(0, 5).join('; ')}`);
  } finally {
    watch?.stop();
    await connection?.close();
    await stopServices(services);
    if (cluster && !cluster.startedHere) {
      await kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    }
    if (cluster) await stopCluster(cluster);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
