// The worker, the trigger (and the codec server, once its branch is merged) started exactly as
// docker-compose.yml starts them: the same command, the same environment (from `docker-compose
// config`, example settings), with only what Docker itself would provide mapped onto this machine:
// the `temporal` host is a dev server, /run/secrets/* and the catalog mount are files here, and the
// container ports are free ports on 127.0.0.1. Each service's own health check must pass, and
// SIGTERM (`docker stop`) must end it cleanly. There is no Docker engine here to run the images.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devServer, type DevServer } from '../support/devServer.js';
import { freePort, waitFor } from '../support/ports.js';
import {
  APP_SERVICES,
  composeConfig,
  parseComposeOutput,
  type ComposeConfig,
  type ComposeService,
} from '../support/compose.js';
import { repoRoot } from '../support/tools.js';

/** The variable of each service that sets the port its health check probes. */
const PORT_VARIABLE: Record<(typeof APP_SERVICES)[number], string> = {
  worker: 'WORKER_METRICS_PORT',
  trigger: 'TRIGGER_PORT',
  codec: 'ROLLBACK_CODEC_PORT',
};

interface Started {
  name: string;
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  healthcheck: string[];
}

let server: DevServer;
let config: ComposeConfig;
const started: Started[] = [];
const secretsDir = mkdtempSync(path.join(os.tmpdir(), 'compose-secrets-'));

beforeAll(async () => {
  const run = composeConfig({
    TEMPORAL_DB_PASSWORD: 'compose-test-password',
    APP_ENV_FILE: './deploy/compose/rollback.env.example',
  });
  if (run.status !== 0) throw new Error(`docker-compose config failed:\n${run.stderr}`);
  config = parseComposeOutput(run.stdout);
  server = await devServer();
  // The files a team puts under deploy/compose/secrets/: a codec key in the agreed format, and a
  // kubeconfig (read only when a Kubernetes procedure runs).
  writeFileSync(path.join(secretsDir, 'codec_keys'), `compose-test:${randomBytes(32).toString('base64')}\n`);
  writeFileSync(path.join(secretsDir, 'kubeconfig'), '');
});

afterAll(async () => {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await server?.close();
});

/** The service's environment as Docker would give it, mapped onto this machine. */
function hostEnvironment(name: string, service: ComposeService, port: number): NodeJS.ProcessEnv {
  const mounts = new Map(
    (service.volumes ?? []).flatMap((v) =>
      typeof v === 'string' ? [[v.split(':')[1]!, v.split(':')[0]!] as const] : [],
    ),
  );
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [key, raw] of Object.entries(service.environment ?? {})) {
    let value = String(raw ?? '');
    if (value === 'temporal:7233') value = server.address;
    else if (value === '0.0.0.0') value = '127.0.0.1';
    else if (value.startsWith('/run/secrets/')) value = path.join(secretsDir, path.basename(value));
    else if (mounts.has(value)) value = mounts.get(value)!;
    else if (value.startsWith('/')) throw new Error(`${name}: no host mapping for ${key}=${value}`);
    env[key] = value;
  }
  env[PORT_VARIABLE[name as keyof typeof PORT_VARIABLE]] = String(port);
  return env;
}

/** Runs a health check as Docker would (CMD form), with the container port mapped to `port`. */
function runHealthcheck(test: string[], containerPort: string, port: number): number | null {
  expect(test[0]).toBe('CMD');
  const [command, ...args] = test.slice(1).map((a) => a.replace(`:${containerPort}/`, `:${port}/`));
  expect(command).toBe('node');
  return spawnSync(process.execPath, args, { timeout: 20_000 }).status;
}

test('each application service starts with its compose command and environment, passes its own health check, and stops on SIGTERM', async () => {
  for (const name of APP_SERVICES) {
    const service = config.services[name]!;
    const containerPort = String(service.environment![PORT_VARIABLE[name]]);
    const port = await freePort();
    const healthcheck = service.healthcheck!.test as string[];
    // Before the service listens, its health check fails: it can tell.
    expect(runHealthcheck(healthcheck, containerPort, port)).toBe(1);

    const [command, entry] = service.command!;
    expect(command).toBe('node');
    const child = spawn(process.execPath, [entry!], {
      cwd: repoRoot, // WORKDIR /app of the Dockerfile
      env: hostEnvironment(name, service, port),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    started.push({ name, child, output: () => output, exit, healthcheck });

    await waitFor(
      `${name}'s health check`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
        return runHealthcheck(healthcheck, containerPort, port) === 0;
      },
      60_000,
      500,
    );
  }

  // The worker polls the compose task queue on the compose namespace.
  const worker = config.services.worker!.environment!;
  const pollers = await waitFor('a poller on the compose task queue', async () => {
    const described = await server.client.workflowService.describeTaskQueue({
      namespace: String(worker.TEMPORAL_NAMESPACE),
      taskQueue: { name: String(worker.TEMPORAL_TASK_QUEUE) },
      taskQueueType: 1, // workflow tasks
    });
    return (described.pollers ?? []).length > 0 && described.pollers;
  });
  expect(pollers.length).toBeGreaterThan(0);

  // `docker stop` sends SIGTERM and waits stop_grace_period (30 s) before SIGKILL.
  for (const s of started) {
    s.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      s.exit,
      new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 30 s'), 30_000))),
    ]);
    clearTimeout(timer);
    expect({ service: s.name, code, output: code === 0 ? '' : s.output() }).toEqual({
      service: s.name,
      code: 0,
      output: '',
    });
  }
});
