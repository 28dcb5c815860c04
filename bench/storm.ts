// Goal 3 of issue 13: an alert storm. 5,000 Alertmanager alerts for 50 services, posted to the
// trigger within ~10 s (one alert per delivery, the worst grouping), paced evenly with a bound on
// requests in flight. Counts incidents (distinct runs), the alerts the incidents counted
// themselves (their `status` query), the trigger's answer times and 5xx answers, and the
// trigger's Temporal calls (its /metrics). Alone: `npm run bench:storm` (main() below).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
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
import { BENCH_ENVIRONMENT, BENCH_TOKEN, postAlerts, startBenchStack } from './support/stack.js';

export interface StormResult {
  posts: number;
  alerts: number;
  wallMs: number;
  latencies: number[];
  serverErrors: number;
  otherRefusals: number;
  incidents: number;
  alertsCounted: number;
  /** Signal-with-start calls the trigger made for the storm (NaN if its /metrics lacks them). */
  temporalCalls: number;
}

interface Answer {
  status: number;
  ms: number;
  body: { incidents?: { runId: string }[] };
}

/**
 * Posts over keep-alive connections with node:http: fetch (undici) cost the sender more CPU than
 * the trigger spent answering, on the same two cores.
 */
function alertPoster(triggerUrl: string, inFlight: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const url = new URL('/v1/alerts/alertmanager', triggerUrl);
  const post = (alert: ReturnType<typeof errorAlert>) =>
    new Promise<Answer>((resolve, reject) => {
      const body = JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'rollback',
        alerts: [{ status: 'firing', startsAt: new Date().toISOString(), ...alert }],
      });
      const sent = performance.now();
      const request = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${BENCH_TOKEN}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('error', reject);
          response.on('end', () => {
            const ms = performance.now() - sent;
            let parsed: Answer['body'] = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'];
            } catch {
              // a non-JSON answer: counted by its status
            }
            resolve({ status: response.statusCode ?? 0, ms, body: parsed });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/** The count of a prom-client histogram in a /metrics text, or NaN. */
async function histogramCount(triggerUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${triggerUrl}/metrics`)).text().catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${name}_count`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

/**
 * Requests in flight at most (`BENCH_STORM_IN_FLIGHT`). The storm is paced at alerts/seconds per
 * second; with fewer in flight than that rate times an answer's time, the sender, not the
 * trigger, sets the pace (64 held the goal's 500 alerts/s to about 90).
 */
export const STORM_IN_FLIGHT = 500;

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
  const callsMetric = 'rollback_trigger_alerts_per_temporal_call';
  const callsBefore = await histogramCount(triggerUrl, callsMetric);
  const poster = alertPoster(triggerUrl, options.inFlight);
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
          const posted = await poster.post(errorAlert(services[i % services.length]!, i));
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
  poster.close();
  const temporalCalls = (await histogramCount(triggerUrl, callsMetric)) - callsBefore;

  // Signals are delivered before the trigger answers 202, so the counts are final once handled.
  // One deadline for all: an alert lost to a 5xx never comes, and 50 waits of 60 s would stall the run.
  let alertsCounted = 0;
  const deadline = Date.now() + 60_000;
  for (const service of services) {
    const handle = client.workflow.getHandle(incidentWorkflowId(BENCH_ENVIRONMENT, service));
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
    temporalCalls,
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

/** CPU seconds a process has used so far (Linux /proc; clock ticks of 10 ms), or NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** `node dist/bench/storm.js` (`npm run bench:storm`): goal 3 alone, on a stack of its own. */
async function main(): Promise<void> {
  const count = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const alerts = count('BENCH_STORM_ALERTS', 5000);
  const serviceCount = count('BENCH_STORM_SERVICES', 50);
  const seconds = count('BENCH_STORM_SECONDS', 10);
  const inFlight = count('BENCH_STORM_IN_FLIGHT', STORM_IN_FLIGHT);
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
    // Where the CPU went during the storm (2 cores shared: whoever uses them slows the others).
    const processes = [
      ...stack.services.map((p) => ({ name: p.name, pid: p.child.pid })),
      { name: 'sender', pid: process.pid },
    ];
    const cpuBefore = processes.map((p) => cpuSeconds(p.pid));
    const s = await alertStorm(client, stack.triggerUrl, names, { alerts, seconds, inFlight });
    const cpu = processes.map((p, i) => `${p.name} ${(cpuSeconds(p.pid) - cpuBefore[i]!).toFixed(1)} s`).join(', ');
    console.log(
      [
        `sent in ${ms(s.wallMs)} (${(s.alerts / (s.wallMs / 1000)).toFixed(0)} alerts/s)`,
        `answers p50 ${ms(percentile(s.latencies, 0.5))} p99 ${ms(percentile(s.latencies, 0.99))} max ${ms(Math.max(...s.latencies))}`,
        `${s.incidents} incidents, ${s.alertsCounted} alerts counted, ${s.serverErrors} 5xx, ${s.otherRefusals} other non-202`,
        `${s.temporalCalls} signal-with-start calls (${(s.alerts / s.temporalCalls).toFixed(1)} alerts per call)`,
        `load ${loadBefore} before, ${load()} after; ${os.cpus().length} cores`,
        `CPU used while sending and counting: ${cpu}`,
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
