// The stack the incident benches drive, as `npm start` runs it but on free ports: the Temporal dev
// server, the compiled worker and the compiled HTTP trigger as child processes, with a generated
// service catalog. Never the defaults of `npm start` (7233/8233/8787), so both can run at once.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { portAnswers, startService, stopServices, waitUntil, type Service } from '../../tools/local/processes.js';
import { startTemporalDevServer, startWorkerService } from '../../tools/local/stack.js';

export const BENCH_TOKEN = 'bench-token';
export const BENCH_ENVIRONMENT = 'bench';

export interface BenchStack {
  address: string;
  taskQueue: string;
  triggerUrl: string;
  services: Service[];
  worker: Service;
}

/** A port the kernel just handed out, so free now (ports never collide with another stack's defaults). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface CatalogService {
  name: string;
  namespace: string;
  deployment: string;
}

/** One catalog service per Deployment, matched by the Alertmanager label `service`. */
export function writeCatalog(file: string, services: CatalogService[]): void {
  const catalog = {
    channels: {},
    services: services.map((s) => ({
      name: s.name,
      environments: [BENCH_ENVIRONMENT],
      match: { alertmanager: { service: s.name } },
      procedures: [
        { type: 'kubernetesDeploymentRollback', input: { namespace: s.namespace, deployment: s.deployment } },
      ],
      approvers: ['on-call'],
      incidentCommander: 'on-call',
    })),
  };
  writeFileSync(file, stringify(catalog));
}

export async function startBenchStack(options: {
  root: string;
  dataDir: string;
  catalogFile: string;
  kubeconfigPath: string;
}): Promise<BenchStack> {
  const { root, dataDir } = options;
  const logDir = path.join(dataDir, 'logs');
  const services: Service[] = [];
  try {
    const temporalPort = await freePort();
    const temporal = startTemporalDevServer(
      { root, logDir },
      { port: temporalPort, dbFile: path.join(dataDir, 'temporal.db'), logLevel: 'error' },
    );
    services.push(temporal);
    await waitUntil('Temporal', temporal, () => portAnswers(temporalPort));
    const address = `127.0.0.1:${temporalPort}`;
    const taskQueue = 'bench-incidents';
    const common = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ROLLBACK_CATALOG: options.catalogFile,
      KUBECONFIG: options.kubeconfigPath,
      LOG_LEVEL: 'warn',
    };
    const worker = startWorkerService(
      { root, logDir },
      { address, taskQueue, awsEndpoint: 'http://127.0.0.1:9', env: common },
    );
    services.push(worker);
    const triggerPort = await freePort();
    const trigger = startService('trigger', process.execPath, [path.join(root, 'dist', 'src', 'trigger', 'main.js')], {
      logDir,
      env: {
        ...process.env,
        ...common,
        TRIGGER_HOST: '127.0.0.1',
        TRIGGER_PORT: String(triggerPort),
        TRIGGER_TOKENS: BENCH_TOKEN,
        // The storm is one source posting thousands of alerts: the per-source limit would refuse them.
        TRIGGER_RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    services.push(trigger);
    const triggerUrl = `http://127.0.0.1:${triggerPort}`;
    await waitUntil('trigger', trigger, async () => (await fetch(`${triggerUrl}/healthz`)).ok);
    return { address, taskQueue, triggerUrl, services, worker };
  } catch (error) {
    await stopServices(services);
    throw error;
  }
}

export interface Posted {
  /** `performance.now()` when the request was handed to fetch. */
  sentAt: number;
  status: number;
  ms: number;
  body: { incidents?: { workflowId: string; runId: string; started: boolean; alerts: number }[] };
}

/** One Alertmanager webhook (version 4) with these alerts, timed from send to answer. */
export async function postAlerts(
  triggerUrl: string,
  alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[],
): Promise<Posted> {
  const body = JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'rollback',
    alerts: alerts.map((a) => ({ status: 'firing', annotations: {}, startsAt: new Date().toISOString(), ...a })),
  });
  const sent = performance.now();
  const response = await fetch(`${triggerUrl}/v1/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
    body,
  });
  const text = await response.text();
  const ms = performance.now() - sent;
  let json: Posted['body'] = {};
  try {
    json = JSON.parse(text) as Posted['body'];
  } catch {
    // a non-JSON answer: counted by its status
  }
  return { sentAt: sent, status: response.status, ms, body: json };
}
