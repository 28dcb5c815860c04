// The local stack's servers, shared by `npm start` and the bench: the Temporal dev server, moto
// through the slow-RDS launcher and the codec server, each started as a service with its log in `logDir`.
import path from 'node:path';
import { devServerSearchAttributeArgs } from '../../src/temporal/searchAttributes.js';
import { startService, waitUntil, type Service } from './processes.js';

export interface StackPaths {
  /** The repository (for scripts/moto_launcher.py and .tools/bin). */
  root: string;
  logDir: string;
}

const bin = (paths: StackPaths, name: string) => path.join(paths.root, '.tools', 'bin', name);

/**
 * `temporal server start-dev` on 127.0.0.1 with the rollback search attributes; no UI without
 * `uiPort`. With `codecEndpoint`, the Web UI decodes encrypted payloads through that codec server;
 * `extraArgs` go to start-dev as they are.
 */
export function startTemporalDevServer(
  paths: StackPaths,
  options: {
    port: number;
    uiPort?: number;
    dbFile: string;
    logLevel?: string;
    codecEndpoint?: string;
    extraArgs?: string[];
  },
): Service {
  const ui = options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)];
  const codec = options.codecEndpoint === undefined ? [] : ['--ui-codec-endpoint', options.codecEndpoint];
  return startService(
    'temporal',
    bin(paths, 'temporal'),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      ...ui,
      ...codec,
      '--db-filename',
      options.dbFile,
      '--log-level',
      options.logLevel ?? 'warn',
      ...devServerSearchAttributeArgs(),
      ...(options.extraArgs ?? []),
    ],
    { logDir: paths.logDir },
  );
}

/** moto through the slow-RDS launcher (restores take time); `ready()` resolves once it answers. */
export function startSlowRdsMoto(
  paths: StackPaths,
  port: number,
): { service: Service; endpoint: string; ready(): Promise<void> } {
  const service = startService(
    'moto',
    bin(paths, 'python'),
    [path.join(paths.root, 'scripts', 'moto_launcher.py'), '-H', '127.0.0.1', '-p', String(port)],
    { logDir: paths.logDir },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    service,
    endpoint,
    ready: () => waitUntil('moto', service, async () => (await fetch(`${endpoint}/moto-api/`)).ok),
  };
}

/**
 * The compiled worker (`dist/src/worker/main.js`, or `entry`) serving `taskQueue`, its AWS calls
 * going to `awsEndpoint`.
 */
export function startWorkerService(
  paths: StackPaths,
  options: { address: string; taskQueue: string; awsEndpoint: string; env?: NodeJS.ProcessEnv; entry?: string },
): Service {
  const entry = options.entry ?? path.join(paths.root, 'dist', 'src', 'worker', 'main.js');
  return startService('worker', process.execPath, [entry], {
    logDir: paths.logDir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      AWS_ENDPOINT_URL: options.awsEndpoint,
      ...options.env,
    },
  });
}

/**
 * The compiled codec server (`dist/src/codec/server.js`) on `host:port`, for the Web UI at
 * `corsOrigins`; its keys come from the environment (ROLLBACK_CODEC_KEYS or ROLLBACK_CODEC_KEY_FILE).
 */
export function startCodecServerService(
  paths: StackPaths,
  options: { host: string; port: number; corsOrigins: string[] },
): { service: Service; endpoint: string; ready(): Promise<void> } {
  const service = startService(
    'codec',
    process.execPath,
    [path.join(paths.root, 'dist', 'src', 'codec', 'server.js')],
    {
      logDir: paths.logDir,
      env: {
        ...process.env,
        ROLLBACK_CODEC_HOST: options.host,
        ROLLBACK_CODEC_PORT: String(options.port),
        ROLLBACK_CODEC_CORS_ORIGIN: options.corsOrigins.join(','),
      },
    },
  );
  // The browser and the CLI run on this machine: a wildcard bind is reached on loopback.
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${options.port}`;
  return {
    service,
    endpoint,
    ready: () => waitUntil('codec server', service, async () => (await fetch(`${endpoint}/healthz`)).ok),
  };
}
