// The local stack's servers, shared by `npm start` and the bench: the Temporal dev server and
// moto through the slow-RDS launcher, each started as a service with its log in `logDir`.
import path from 'node:path';
import { devServerSearchAttributeArgs } from '../temporal/searchAttributes.js';
import { startService, waitUntil, type Service } from './processes.js';

export interface StackPaths {
  /** The repository (for scripts/moto_launcher.py and .tools/bin). */
  root: string;
  logDir: string;
}

const bin = (paths: StackPaths, name: string) => path.join(paths.root, '.tools', 'bin', name);

/**
 * `temporal server start-dev` on 127.0.0.1 with the rollback search attributes; no UI without
 * `uiPort`. `extraArgs` go to start-dev as they are (a test's `--ui-codec-endpoint`, say).
 */
export function startTemporalDevServer(
  paths: StackPaths,
  options: { port: number; uiPort?: number; dbFile: string; logLevel?: string; extraArgs?: string[] },
): Service {
  const ui = options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)];
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

/** The compiled worker (`dist/workers/main.js`) serving `taskQueue`, its AWS calls going to `awsEndpoint`. */
export function startWorkerService(
  paths: StackPaths,
  options: { address: string; taskQueue: string; awsEndpoint: string; env?: NodeJS.ProcessEnv },
): Service {
  return startService('worker', process.execPath, [path.join(paths.root, 'dist', 'workers', 'main.js')], {
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
