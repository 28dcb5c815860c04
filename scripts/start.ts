// `npm start`: the whole service on its embedded default, for one machine. Starts the Temporal
// dev server (SQLite under .data/, Web UI), a moto server seeded with the demo Lambda function,
// and the worker; prints where to look and what to paste. Ctrl-C stops everything it started.
// With ROLLBACK_CODEC_KEYS (or ROLLBACK_CODEC_KEY_FILE) set, payloads are encrypted and a codec
// server lets the Web UI and the printed CLI commands read them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEY_FILE_VARIABLE, KEYS_VARIABLE, loadCodecKeys, type CodecKey } from '../src/codec/index.js';
import { seedLambdaFunction } from '../tools/demo/seedLambda.js';
import { seedRdsInstance } from '../tools/demo/seedRds.js';
import {
  DEMO_LAMBDA,
  DEMO_RDS,
  DEMO_INCIDENT_ID,
  DEMO_RESTORE_WORKFLOW_ID,
  demoIncidentCommands,
  demoRestoreCommand,
  demoRollbackCommand,
  incidentStartArgs,
  procedureStartArgs,
  shellCommand,
  type DemoCommandOptions,
} from '../tools/local/demo.js';
import {
  DEMO_DEPLOYMENT,
  DEMO_K8S_INCIDENT,
  kubernetesBuilt,
  kubernetesDataDir,
  startKubernetesDemo,
  stopKubernetesDemo,
  type KubernetesDemo,
} from '../tools/local/kubernetesDemo.js';
import { configureSlowRds } from '../tools/local/slowRds.js';
import { portAnswers, stopServices, waitUntil, type Service } from '../tools/local/processes.js';
import {
  startCodecServerService,
  startSlowRdsMoto,
  startTemporalDevServer,
  startWorkerService,
} from '../tools/local/stack.js';
import { demoAlertCurl, DEMO_TRIGGER_TOKEN, startTriggerService } from '../tools/local/triggerDemo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to dist/scripts/start.js: the repository is two folders up.
const root = path.resolve(here, '../..');
const bin = (name: string) => path.join(root, '.tools', 'bin', name);

const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const motoPort = Number(process.env.MOTO_PORT ?? 4566);
const triggerPort = Number(process.env.TRIGGER_PORT ?? 8787);
const codecHost = process.env.ROLLBACK_CODEC_HOST || '127.0.0.1';
const codecPort = Number(process.env.ROLLBACK_CODEC_PORT || 8888);
// The Web UI's origin is whichever host the browser was given: allow both spellings.
const codecOrigins = process.env.ROLLBACK_CODEC_CORS_ORIGIN
  ? process.env.ROLLBACK_CODEC_CORS_ORIGIN.split(',').map((o) => o.trim())
  : [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
// The trigger and the worker read the same service catalog (the worker resolves its channels).
const catalog = path.resolve(root, process.env.ROLLBACK_CATALOG ?? 'catalog.example.yaml');
const dataDir = path.resolve(root, process.env.DATA_DIR ?? '.data');
const logDir = path.join(dataDir, 'logs');
const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? 'rollback';
const restoreSeconds = Number(process.env.DEMO_RESTORE_SECONDS ?? 120);
const address = `127.0.0.1:${temporalPort}`;

// The SDK's notice that releases after January 2027 need Node 22 is in the README, not the demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const services: Service[] = [];
let kubernetes: KubernetesDemo | undefined;
let backgroundTools: ChildProcess | undefined;
let stopping = false;
const kubernetesWanted = process.env.ROLLBACK_SKIP_K8S !== '1';
// The new-machine path (READY first, the cluster joins later) even when the cluster is built: the
// npm start test takes it, so the path a newcomer sees once is proved at every run.
const kubernetesLater = process.env.ROLLBACK_K8S_IN_BACKGROUND === '1';

const rel = (p: string) => path.relative(process.cwd(), p) || p;

/** The Kubernetes demo's lines of the READY banner (or of the message when it joins later). */
function kubernetesText(demo: KubernetesDemo, options: DemoCommandOptions): string {
  const kubectl = `KUBECONFIG=${rel(demo.kubeconfigPath)} ${rel(bin('kubectl'))}`;
  return `  Kubernetes        ${rel(demo.kubeconfigPath)}   demo Deployment "${DEMO_DEPLOYMENT.namespace}/${DEMO_DEPLOYMENT.deployment}" at revision 3

Roll the demo Deployment back as a P0 incident (complete outage: plans, rolls back at once,
5-minute SLA), then look at its history. Start it a second time (the alert fired again): it sees
the fresh rollback mark, changes nothing and pages instead:

  ${shellCommand([options.temporalBin, ...incidentStartArgs(options, DEMO_K8S_INCIDENT.workflowId, DEMO_K8S_INCIDENT.input)])}
  ${kubectl} -n ${DEMO_DEPLOYMENT.namespace} rollout history deployment/${DEMO_DEPLOYMENT.deployment}

The procedure alone (undo to the previous revision; after the incident it refuses, because that
revision is the one rolled back from: the rollback guard):

  ${shellCommand([options.temporalBin, ...procedureStartArgs(options, 'kubernetesDeploymentRollback', 'demo-web-rollback', DEMO_DEPLOYMENT)])}
`;
}

/** A script of scripts/ as a background process group, its output appended to .data/logs/tools.log. */
function background(script: string, then: (code: number | null) => void): void {
  const out = openSync(path.join(logDir, 'tools.log'), 'a');
  backgroundTools = spawn('bash', [path.join(root, 'scripts', script)], {
    cwd: root,
    stdio: ['ignore', out, out],
    detached: true,
  });
  backgroundTools.once('exit', (code) => {
    if (!stopping) then(code);
  });
}

/**
 * The Kubernetes control plane, then the rest of the tool install (PostgreSQL, Flyway, helm,
 * OpenTofu), after READY and in the background: on a new machine the control plane takes about
 * 10 minutes to build, and nothing `npm start` needs before READY waits for it. The demo cluster
 * joins as soon as it is built; a failure is printed and leaves the rest running.
 */
function installRestInBackground(options: DemoCommandOptions): void {
  const failed = (what: string, code: number | null) =>
    console.error(
      `\n${what} failed (code ${code}); see ${rel(path.join(logDir, 'tools.log'))}. The rest keeps running.`,
    );
  background(path.join('k8s', 'build.sh'), (code) => {
    if (code !== 0 || !kubernetesBuilt(root)) return failed('the background Kubernetes build', code);
    startKubernetesDemo(root).then(
      (demo) => {
        kubernetes = demo;
        console.log(
          `\nThe local Kubernetes control plane is built and running.\n\n${kubernetesText(demo, options)}KUBERNETES READY`,
        );
      },
      (error: unknown) =>
        console.error(`\nthe Kubernetes demo did not start: ${error instanceof Error ? error.message : String(error)}`),
    );
    background('install-tools.sh', (rest) => {
      if (rest !== 0) failed('the background tool install', rest);
    });
  });
}

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log(
      `\nstopping the trigger, worker, moto${services.some((s) => s.name === 'codec') ? ', the codec server' : ''} and the Temporal dev server...`,
    );
    if (backgroundTools?.pid !== undefined && backgroundTools.exitCode === null) {
      // The whole build (go, pip, apt) is one process group; what it finished stays cached.
      try {
        process.kill(-backgroundTools.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await stopServices(services);
    if (kubernetes && (await stopKubernetesDemo(root, kubernetes).catch(() => false))) {
      console.log('stopped the local Kubernetes cluster.');
    }
    console.log('stopped.');
  }
  process.exit(code);
}

/** The banner's lines about payload encryption: where the codec server is and who needs what. */
function codecBanner(endpoint: string, keys: CodecKey[]): string {
  const from = process.env[KEYS_VARIABLE]?.trim() ? KEYS_VARIABLE : KEY_FILE_VARIABLE;
  const lines = [
    `  Codec server      ${endpoint}   payloads encrypted with key "${keys[0]!.id}" (${keys.length} configured), the Web UI decodes through it`,
    `                    rollbackctl and restore:watch need the same ${from} in their environment`,
  ];
  if (process.env.ROLLBACK_CODEC_TOKEN) {
    lines.push(
      `                    it wants ROLLBACK_CODEC_TOKEN: export TEMPORAL_CODEC_AUTH="Bearer $ROLLBACK_CODEC_TOKEN" for the temporal CLI;`,
      '                    this Web UI has no login to send it, so it shows payloads encrypted',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  for (const tool of ['temporal', 'python']) {
    if (!existsSync(bin(tool))) throw new Error(`${tool} is missing from .tools/bin: run \`npm run tools\``);
  }
  // Wrong keys stop the start here, naming the variable, before anything is started.
  const codecKeys = loadCodecKeys(process.env);
  for (const [what, port, variable] of [
    ['Temporal', temporalPort, 'TEMPORAL_PORT'],
    ['Temporal Web UI', uiPort, 'TEMPORAL_UI_PORT'],
    ['moto', motoPort, 'MOTO_PORT'],
    ['trigger', triggerPort, 'TRIGGER_PORT'],
    ...(codecKeys ? ([['codec server', codecPort, 'ROLLBACK_CODEC_PORT']] as const) : []),
  ] as const) {
    if (await portAnswers(port)) throw new Error(`port ${port} for ${what} is already in use (set ${variable})`);
  }
  mkdirSync(dataDir, { recursive: true });

  const stackPaths = { root, logDir };
  const codec = codecKeys
    ? startCodecServerService(stackPaths, { host: codecHost, port: codecPort, corsOrigins: codecOrigins })
    : undefined;
  if (codec) {
    services.push(codec.service);
    await codec.ready();
  }
  const temporal = startTemporalDevServer(stackPaths, {
    port: temporalPort,
    uiPort,
    dbFile: path.join(dataDir, 'temporal.db'),
    codecEndpoint: codec?.endpoint,
  });
  services.push(temporal);
  // moto through the slow-RDS launcher: the demo restore takes minutes, as a real one does.
  const moto = startSlowRdsMoto(stackPaths, motoPort);
  services.push(moto.service);
  const motoEndpoint = moto.endpoint;
  await moto.ready();
  const aws = { endpoint: motoEndpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
  // moto accepts any credentials; the demo sets dummy ones unless the shell has its own.
  process.env.AWS_ACCESS_KEY_ID ??= 'demo';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'demo';
  await seedLambdaFunction(aws, DEMO_LAMBDA.functionName, {
    versionCount: DEMO_LAMBDA.versionCount,
    alias: DEMO_LAMBDA.alias,
  });

  await configureSlowRds(motoEndpoint, { seconds: 0 });
  await seedRdsInstance(aws, DEMO_RDS.instanceId);
  await configureSlowRds(motoEndpoint, { seconds: restoreSeconds });

  if (kubernetesWanted && kubernetesBuilt(root) && !kubernetesLater) {
    kubernetes = await startKubernetesDemo(root);
  }

  await waitUntil('Temporal dev server', temporal, () => portAnswers(temporalPort));
  await waitUntil('Temporal Web UI', temporal, () => portAnswers(uiPort));

  const worker = startWorkerService(stackPaths, {
    address,
    taskQueue,
    awsEndpoint: motoEndpoint,
    env: {
      AWS_REGION: aws.region,
      ROLLBACK_CATALOG: catalog,
      // Where the demo cluster's kubeconfig is (or will be, once built in the background): the
      // worker reads it on its first Kubernetes request.
      ...(kubernetesWanted
        ? { KUBECONFIG: kubernetes?.kubeconfigPath ?? path.join(kubernetesDataDir(root), 'kubeconfig') }
        : {}),
    },
  });
  services.push(worker);
  const trigger = startTriggerService(stackPaths, { address, taskQueue, port: triggerPort, catalog });
  services.push(trigger);
  await waitUntil('trigger', trigger, () => portAnswers(triggerPort));
  await waitUntil('worker', worker, async () => true, 1_000).catch(() => undefined);

  const commandOptions = {
    temporalBin: path.relative(process.cwd(), bin('temporal')) || bin('temporal'),
    address,
    taskQueue,
    codecEndpoint: codec?.endpoint,
  };
  // The CLI encodes inputs and decodes results through the codec server when payloads are encrypted.
  const codecFlag = codec ? ` --codec-endpoint ${codec.endpoint}` : '';
  const command = demoRollbackCommand(commandOptions);
  const kubernetesLines = kubernetes
    ? kubernetesText(kubernetes, commandOptions)
    : kubernetesWanted
      ? `  Kubernetes        building in the background (about 10 minutes on a new machine, log ${rel(path.join(logDir, 'tools.log'))});
                    the Kubernetes demo joins when it is ready, and its commands are printed then
`
      : `  Kubernetes        left out (ROLLBACK_SKIP_K8S=1)
`;
  const codecLines = codec && codecKeys ? codecBanner(codec.endpoint, codecKeys) : '';
  const restoreCommand = demoRestoreCommand(commandOptions);
  const [startIncident, queryIncident, confirmIncident] = demoIncidentCommands(commandOptions);
  console.log(`
rollback-orchestrator is running (Ctrl-C stops everything).

  Temporal Web UI   http://localhost:${uiPort}
  Temporal gRPC     ${address}   namespace default, task queue ${taskQueue}
  moto (AWS)        ${motoEndpoint}   demo Lambda "${DEMO_LAMBDA.functionName}", alias "${DEMO_LAMBDA.alias}" -> version ${DEMO_LAMBDA.versionCount}
                    demo RDS instance "${DEMO_RDS.instanceId}" with snapshots; restores take ${restoreSeconds}s
  Trigger (HTTP)    http://127.0.0.1:${triggerPort}   token ${process.env.TRIGGER_TOKENS ? '(TRIGGER_TOKENS)' : DEMO_TRIGGER_TOKEN}, catalog ${rel(catalog)}
${codecLines}  logs              ${path.relative(process.cwd(), logDir) || logDir}/{${codec ? 'codec,' : ''}temporal,moto,worker,trigger}.log
${kubernetesLines}
Roll the demo alias back one version:

  ${command}

Then open the Web UI, or: ${path.relative(process.cwd(), bin('temporal'))} workflow result --address ${address}${codecFlag} --workflow-id demo-lambda-rollback

Restore the demo database from its newest snapshot (about ${restoreSeconds}s), and watch its progress:

  ${restoreCommand}
  TEMPORAL_ADDRESS=${address} npm run restore:watch -- ${DEMO_RESTORE_WORKFLOW_ID}

Or run it as a P1 incident (errors > 5%): start it, read its status (with the planned change), confirm it:

  ${startIncident}
  ${queryIncident}
  ${confirmIncident}

Or let an alert start that P1 incident through the trigger (post it again: the same incident counts 2 alerts),
then follow it with rollbackctl:

  ${demoAlertCurl(`http://127.0.0.1:${triggerPort}`, process.env.TRIGGER_TOKENS?.split(',')[0] ?? DEMO_TRIGGER_TOKEN)}
  TEMPORAL_ADDRESS=${address} npm run ctl -- status ${DEMO_INCIDENT_ID}
  TEMPORAL_ADDRESS=${address} npm run ctl -- confirm ${DEMO_INCIDENT_ID} --by alice
READY`);
  if (kubernetesWanted && !kubernetes) installRestInBackground(commandOptions);

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
