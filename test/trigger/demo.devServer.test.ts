// The compiled trigger process (`npm run trigger`) with the committed example catalog, as
// `npm start` runs it: the printed curl starts a P1 incident for the demo service and a second
// identical post is counted on the same incident.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { stopServices, waitUntil, type Service } from '../../tools/local/processes.js';
import { demoAlertCurl, startTriggerService } from '../../tools/local/triggerDemo.js';
import { status, waitForPhase } from '../support/incident.js';
import { freePort, waitFor } from '../support/ports.js';
import { distPath, run } from '../support/processes.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { repoRoot } from '../support/tools.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { seedCatalogFunctions } from './support.js';

/** Runs a command with extra environment variables; resolves with the failure of a non-zero exit. */
function runWith(command: string, args: string[], extra: NodeJS.ProcessEnv) {
  return new Promise((resolve) =>
    execFile(command, args, { cwd: repoRoot, env: { ...process.env, ...extra } }, (error, stdout, stderr) =>
      resolve(error ? { code: error.code, stdout, stderr } : { code: 0, stdout, stderr }),
    ),
  );
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let trigger: Service;
let url: string;
let moto: MotoServer;

beforeAll(async () => {
  distPath('src', 'trigger', 'main.js');
  [env, moto] = await Promise.all([startDevServer(), startMoto()]);
  // The example catalog's services: the incident plans its Lambda rollback before it asks.
  await seedCatalogFunctions(moto, ['checkout-api']);
  let taskQueue: string;
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  running = worker.run();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const logDir = mkdtempSync(path.join(tmpdir(), 'trigger-demo-'));
  trigger = startTriggerService({ root: repoRoot, logDir }, { address: env.address, taskQueue, port });
  await waitUntil('trigger', trigger, async () => (await fetch(`${url}/healthz`)).ok, 30_000);
});
afterAll(async () => {
  if (trigger) await stopServices([trigger]);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await Promise.all([env?.teardown(), moto?.stop()]);
});

test('the printed curl starts a P1 incident for checkout-api; pasted again, it is counted (alerts: 2)', async () => {
  const curl = demoAlertCurl(url);
  const first = JSON.parse((await run('bash', ['-c', curl])).stdout);
  expect(first).toMatchObject({
    incidents: [{ workflowId: 'rollback-production-checkout-api', started: true, severity: 'P1' }],
    unmatched: [],
  });
  const second = JSON.parse((await run('bash', ['-c', curl])).stdout);
  expect(second.incidents).toMatchObject([{ runId: first.incidents[0].runId, started: false }]);
  const handle = env.client.workflow.getHandle('rollback-production-checkout-api');
  await waitFor('2 alerts', async () => (await status(handle)).alerts === 2);
  // The incident plans its procedure first, then asks for the confirmation.
  expect(await waitForPhase(handle, 'awaiting-confirmation')).toMatchObject({ severity: 'P1' });
});

test('a bad catalog stops the trigger at start with the file, line and field', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trigger-catalog-'));
  const file = path.join(dir, 'catalog.yaml');
  writeFileSync(file, 'services:\n  - name: web\n    environments: [demo]\n    match:\n      alertmanager: web\n');
  const missing = await runWith(process.execPath, [distPath('src', 'trigger', 'main.js')], {
    ROLLBACK_CATALOG: path.join(dir, 'none.yaml'),
  });
  expect(missing).toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/none\.yaml: cannot read the service catalog/),
  });
  const withFile = await runWith(process.execPath, [distPath('src', 'trigger', 'main.js')], { ROLLBACK_CATALOG: file });
  expect(withFile).toMatchObject({ code: 1 });
  // The trigger's own configuration check reads the catalog too (for the channels): one line either way.
  const stderr = (withFile as { stderr: string }).stderr.trim();
  expect(stderr.split('\n')).toHaveLength(1);
  expect(stderr).toContain(`${file}:5: services[0].match.alertmanager: Expected object, received string`);
});
