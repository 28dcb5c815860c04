// `npm start`: the whole service on its embedded default, for one machine. Starts the Temporal
// dev server (SQLite under .data/, Web UI), a moto server seeded with the demo Lambda function,
// and the worker; prints where to look and what to paste. Ctrl-C stops everything it started.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedLambdaFunction } from '../src/demo/seedLambda.js';
import { DEMO_LAMBDA, demoIncidentCommands, demoRollbackCommand } from '../src/local/demo.js';
import { portAnswers, startService, stopServices, waitUntil, type Service } from '../src/local/processes.js';
import { devServerSearchAttributeArgs } from '../src/temporal/searchAttributes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to dist/scripts/start.js: the repository is two folders up.
const root = path.resolve(here, '../..');
const bin = (name: string) => path.join(root, '.tools', 'bin', name);

const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const motoPort = Number(process.env.MOTO_PORT ?? 4566);
const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data');
const logDir = path.join(dataDir, 'logs');
const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? 'rollback';
const address = `127.0.0.1:${temporalPort}`;

// The SDK's notice that releases after January 2027 need Node 22 is in the README, not the demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const services: Service[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping worker, moto and the Temporal dev server...');
    await stopServices(services);
    console.log('stopped.');
  }
  process.exit(code);
}

async function main(): Promise<void> {
  for (const tool of ['temporal', 'moto_server']) {
    if (!existsSync(bin(tool))) throw new Error(`${tool} is missing from .tools/bin: run \`npm run tools\``);
  }
  for (const [what, port] of [
    ['Temporal', temporalPort],
    ['Temporal Web UI', uiPort],
    ['moto', motoPort],
  ] as const) {
    if (await portAnswers(port))
      throw new Error(
        `port ${port} for ${what} is already in use (set ${what === 'moto' ? 'MOTO_PORT' : what === 'Temporal' ? 'TEMPORAL_PORT' : 'TEMPORAL_UI_PORT'})`,
      );
  }
  mkdirSync(dataDir, { recursive: true });

  const temporal = startService(
    'temporal',
    bin('temporal'),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(temporalPort),
      '--ui-port',
      String(uiPort),
      '--db-filename',
      path.join(dataDir, 'temporal.db'),
      '--log-level',
      'warn',
      ...devServerSearchAttributeArgs(),
    ],
    { logDir },
  );
  services.push(temporal);
  const moto = startService('moto', bin('moto_server'), ['-H', '127.0.0.1', '-p', String(motoPort)], { logDir });
  services.push(moto);

  const motoEndpoint = `http://127.0.0.1:${motoPort}`;
  await waitUntil('moto', moto, async () => (await fetch(`${motoEndpoint}/moto-api/`)).ok);
  const aws = { endpoint: motoEndpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
  // moto accepts any credentials; the demo sets dummy ones unless the shell has its own.
  process.env.AWS_ACCESS_KEY_ID ??= 'demo';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'demo';
  await seedLambdaFunction(aws, DEMO_LAMBDA.functionName, {
    versionCount: DEMO_LAMBDA.versionCount,
    alias: DEMO_LAMBDA.alias,
  });

  await waitUntil('Temporal dev server', temporal, () => portAnswers(temporalPort));
  await waitUntil('Temporal Web UI', temporal, () => portAnswers(uiPort));

  const worker = startService('worker', process.execPath, [path.join(root, 'dist', 'workers', 'main.js')], {
    logDir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: aws.region,
    },
  });
  services.push(worker);
  await waitUntil('worker', worker, async () => true, 1_000).catch(() => undefined);

  const commandOptions = {
    temporalBin: path.relative(process.cwd(), bin('temporal')) || bin('temporal'),
    address,
    taskQueue,
  };
  const command = demoRollbackCommand(commandOptions);
  const [startIncident, queryIncident, confirmIncident] = demoIncidentCommands(commandOptions);
  console.log(`
rollback-orchestrator is running (Ctrl-C stops everything).

  Temporal Web UI   http://localhost:${uiPort}
  Temporal gRPC     ${address}   namespace default, task queue ${taskQueue}
  moto (AWS)        ${motoEndpoint}   demo Lambda "${DEMO_LAMBDA.functionName}", alias "${DEMO_LAMBDA.alias}" -> version ${DEMO_LAMBDA.versionCount}
  logs              ${path.relative(process.cwd(), logDir) || logDir}/{temporal,moto,worker}.log

Roll the demo alias back one version:

  ${command}

Then open the Web UI, or: ${path.relative(process.cwd(), bin('temporal'))} workflow result --address ${address} --workflow-id demo-lambda-rollback

Or run it as a P1 incident (errors > 5%): start it, read its status, confirm it:

  ${startIncident}
  ${queryIncident}
  ${confirmIncident}
READY`);

  // A service that dies on its own takes the stack down with a pointer to its log.
  for (const service of services) {
    service.child.once('exit', (code) => {
      if (!stopping) {
        console.error(`${service.name} exited (code ${code}); see ${service.logFile}`);
        void stopAll(1);
      }
    });
  }
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch(async (error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
});
