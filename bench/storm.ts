// Goal 3 of issue 13: an alert storm. 5,000 Alertmanager alerts for 50 services, posted to the
// trigger within ~10 s (one alert per delivery, the worst grouping), paced evenly with a bound on
// requests in flight. Counts incidents (distinct runs), the alerts the incidents counted
// themselves (their `status` query), the trigger's answer times and 5xx answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { dataConverterFromEnv } from '../src/codec/index.js';
import { incidentWorkflowId } from '../src/domain/schemas/incidentRollback.js';
import type { IncidentStatus } from '../src/workflows/incident/types.js';
import { stopServices, type Service } from '../tools/local/processes.js';
import { ms, percentile } from './support/stats.js';
import { BENCH_ENVIRONMENT, postAlerts, startBenchStack } from './support/stack.js';

export interface StormResult {
  posts: number;
  alerts: number;
  wallMs: number;
  latencies: number[];
  serverErrors: number;
  otherRefusals: number;
  incidents: number;
  alertsCounted: number;
}

/** A P1 (errors > 5%): planned, then waiting for a person, so the storm changes nothing. */
const errorAlert = (service: string, i: number) => ({
  labels: { alertname: 'HighErrorRate', service, severity: 'critical', instance: `pod-${i}` },
  annotations: { errorRatePct: '12', summary: `${service} errors above 5%` },
});

export async function alertStorm(
  client: Client,
  triggerUrl: string,
  services: string[],
  options: { alerts: number; seconds: number; inFlight: number },
): Promise<StormResult> {
  const latencies: number[] = [];
  const runIds = new Set<string>();
  let serverErrors = 0;
  let otherRefusals = 0;
  const started = performance.now();
  const intervalMs = (options.seconds * 1000) / options.alerts;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= options.alerts) return;
        const due = started + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          const posted = await postAlerts(triggerUrl, [errorAlert(services[i % services.length]!, i)]);
          latencies.push(posted.ms);
          if (posted.status >= 500) serverErrors += 1;
          else if (posted.status !== 202) otherRefusals += 1;
          for (const incident of posted.body.incidents ?? []) runIds.add(incident.runId);
        } catch {
          serverErrors += 1; // no answer at all: as bad as a 5xx for the sender
        }
      }
    }),
  );
  const wallMs = performance.now() - started;

  // Signals are delivered before the trigger answers 202, so the counts are final once handled.
  let alertsCounted = 0;
  for (const service of services) {
    const handle = client.workflow.getHandle(incidentWorkflowId(BENCH_ENVIRONMENT, service));
    const deadline = Date.now() + 60_000;
    let alerts = 0;
    for (;;) {
      alerts = (await handle.query<IncidentStatus>('status').catch(() => undefined))?.alerts ?? alerts;
      if (alerts >= options.alerts / services.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    alertsCounted += alerts;
  }
  return {
    posts: options.alerts,
    alerts: options.alerts,
    wallMs,
    latencies,
    serverErrors,
    otherRefusals,
    incidents: runIds.size,
    alertsCounted,
  };
}

/**
 * A catalog of `services`, each a Lambda alias (nothing answers at the AWS endpoint, so each P1
 * incident's plan keeps retrying and nothing changes): the storm alone needs no cluster.
 */
function writeLambdaCatalog(file: string, services: string[]): void {
  const catalog = {
    channels: {},
    services: services.map((name) => ({
      name,
      environments: [BENCH_ENVIRONMENT],
      match: { alertmanager: { service: name } },
      procedures: [{ type: 'lambdaAliasRollback', input: { functionName: name, alias: 'live' } }],
      approvers: ['on-call'],
      incidentCommander: 'on-call',
    })),
  };
  writeFileSync(file, stringify(catalog));
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** `node dist/bench/storm.js` (`npm run bench:storm`): goal 3 alone, on a stack of its own. */
async function main(): Promise<void> {
  const count = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const alerts = count('BENCH_STORM_ALERTS', 5000);
  const serviceCount = count('BENCH_STORM_SERVICES', 50);
  const seconds = count('BENCH_STORM_SECONDS', 10);
  const inFlight = count('BENCH_STORM_IN_FLIGHT', 64);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-storm-'));
  const services: Service[] = [];
  let connection: Connection | undefined;
  try {
    const names = Array.from({ length: serviceCount }, (_, i) => `storm-${String(i).padStart(3, '0')}`);
    const catalogFile = path.join(dataDir, 'catalog.yaml');
    writeLambdaCatalog(catalogFile, names);
    const stack = await startBenchStack({
      root,
      dataDir,
      catalogFile,
      kubeconfigPath: path.join(dataDir, 'no-kubeconfig'),
    });
    services.push(...stack.services);
    connection = await Connection.connect({ address: stack.address });
    const client = new Client({ connection, dataConverter: dataConverterFromEnv() });
    // One alert first, not counted: the trigger's first call loads code and opens its connection.
    await postAlerts(stack.triggerUrl, [errorAlert('warm-up-unmatched', 0)]);
    const loadBefore = load();
    console.log(
      `storm: ${alerts} alerts, ${serviceCount} services, ${seconds} s, ${inFlight} in flight; load ${loadBefore}`,
    );
    const s = await alertStorm(client, stack.triggerUrl, names, { alerts, seconds, inFlight });
    console.log(
      [
        `sent in ${ms(s.wallMs)} (${(s.alerts / (s.wallMs / 1000)).toFixed(0)} alerts/s)`,
        `answers p50 ${ms(percentile(s.latencies, 0.5))} p99 ${ms(percentile(s.latencies, 0.99))} max ${ms(Math.max(...s.latencies))}`,
        `${s.incidents} incidents, ${s.alertsCounted} alerts counted, ${s.serverErrors} 5xx, ${s.otherRefusals} other non-202`,
        `load ${loadBefore} before, ${load()} after; ${os.cpus().length} cores`,
      ].join('\n'),
    );
  } finally {
    await connection?.close();
    await stopServices(services);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`bench:storm failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
