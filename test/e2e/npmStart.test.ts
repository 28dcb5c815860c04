// `npm start`'s stack as a newcomer uses it: start, paste the printed command, read the result,
// try bad input from the CLI, then Ctrl-C, and nothing is left running.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { aliasVersion } from '../support/aws.js';
import { freePort, waitFor } from '../support/ports.js';
import { distPath, run, startProcess, type RunningProcess } from '../support/processes.js';
import { historyRows } from '../support/deployments.js';
import { entries, status, waitForPhase } from '../support/incident.js';
import { toolPath } from '../support/tools.js';
import { dataConverterFromEnv } from '../../src/codec/index.js';
import { portAnswers } from '../../tools/local/processes.js';

let stack: RunningProcess;
let client: Client;
let connection: Connection;
let ports: { temporal: number; ui: number; moto: number; trigger: number };
let dataDir: string;

beforeAll(async () => {
  ports = { temporal: await freePort(), ui: await freePort(), moto: await freePort(), trigger: await freePort() };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollback-start-'));
  stack = startProcess(process.execPath, [distPath('scripts', 'start.js')], {
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    MOTO_PORT: String(ports.moto),
    TRIGGER_PORT: String(ports.trigger),
    DATA_DIR: dataDir,
    // The cluster is shared with the other test files: this run's teardown stops it, not npm start.
    K8S_STARTED_BY: process.env.K8S_STARTED_BY ?? 'jest',
    DEMO_RESTORE_SECONDS: '6',
    // READY before the cluster, which joins when the background tool install ends (a new machine).
    ROLLBACK_K8S_IN_BACKGROUND: '1',
  });
  await stack.waitForOutput(/^READY$/m, 180_000);
  connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  client = new Client({ connection, dataConverter: dataConverterFromEnv() });
});
afterAll(async () => {
  await connection?.close();
  if (stack) await stack.kill('SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
});

const moto = () => ({ endpoint: `http://127.0.0.1:${ports.moto}`, region: 'us-east-1' });

/** The printed command line that contains `marker` (a workflow type, or `restore:watch`). */
function printedCommand(marker: string): string[] {
  const line = stack
    .output()
    .split('\n')
    .find((l) => l.includes(marker));
  expect(line).toBeDefined();
  // The printed command is shell syntax; run it through bash exactly as pasted.
  return ['bash', '-c', line!.trim()];
}

test('prints the Web UI address, and the Web UI answers', async () => {
  expect(stack.output()).toContain(`Temporal Web UI   http://localhost:${ports.ui}`);
  const res = await fetch(`http://127.0.0.1:${ports.ui}/`);
  expect(res.status).toBe(200);
});

test('the pasted command rolls the demo alias back one version', async () => {
  expect(await aliasVersion(moto(), 'checkout-api')).toBe('3');
  const [cmd, ...args] = printedCommand('--type lambdaAliasRollback ');
  await run(cmd!, args);
  const result = await client.workflow.getHandle('demo-lambda-rollback').result();
  expect(result).toMatchObject({ functionName: 'checkout-api', fromVersion: '3', toVersion: '2', verified: true });
  expect(await aliasVersion(moto(), 'checkout-api')).toBe('2');
});

test('a bad input from the CLI fails with one clear error naming the field and changes nothing', async () => {
  await run(toolPath('temporal'), [
    'workflow',
    'start',
    '--address',
    `127.0.0.1:${ports.temporal}`,
    '--task-queue',
    'rollback',
    '--type',
    'lambdaAliasRollback',
    '--workflow-id',
    'cli-bad-input',
    '--input',
    '{"alias":"production"}',
  ]);
  // The result first: a describe right after the start can see the run still RUNNING.
  const error = await client.workflow
    .getHandle('cli-bad-input')
    .result()
    .catch((e: Error) => e);
  expect((error as Error & { cause?: Error }).cause?.message).toBe(
    'lambdaAliasRollback: invalid input: functionName: Required',
  );
  const out = await run(toolPath('temporal'), [
    'workflow',
    'describe',
    '--address',
    `127.0.0.1:${ports.temporal}`,
    '--workflow-id',
    'cli-bad-input',
    '--output',
    'json',
  ]).catch((e: { stdout: string }) => e);
  expect(out.stdout).toContain('"status": "WORKFLOW_EXECUTION_STATUS_FAILED"');
  expect(await aliasVersion(moto(), 'checkout-api')).toBe('2');
});

test('READY comes before the cluster, which joins when its background build ends, with its commands', async () => {
  const ready = stack.output().indexOf('\nREADY');
  expect(stack.output().slice(0, ready)).toContain('Kubernetes        building in the background');
  await stack.waitForOutput(/^KUBERNETES READY$/m, 300_000);
  const joined = stack.output().slice(ready);
  expect(joined).toContain('The local Kubernetes control plane is built and running.');
  expect(joined).toContain('--type incidentRollback --task-queue rollback --workflow-id rollback-demo-web ');
});

test('the printed P0 incident rolls the demo Deployment back once; started again, it changes nothing and pages', async () => {
  const [cmd, ...args] = printedCommand(
    '--type incidentRollback --task-queue rollback --workflow-id rollback-demo-web ',
  );
  const before = await historyRows('demo', 'web');
  const previous = before[before.length - 2]!;
  await run(cmd!, args);
  const first = client.workflow.getHandle('rollback-demo-web');
  expect(await first.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
  const after = await historyRows('demo', 'web');
  // The previous revision's template is now the newest revision, under a new number.
  expect(after[after.length - 1]).toEqual([before[before.length - 1]![0] + 1, previous[1]]);
  expect(after.map(([r]) => r)).not.toContain(previous[0]);

  // The alert fires again: the same command, a new run.
  await run(cmd!, args);
  const again = client.workflow.getHandle('rollback-demo-web');
  const waiting = await waitForPhase(again, 'awaiting-confirmation');
  expect(waiting).toMatchObject({ severity: 'P0' });
  expect(waiting.refire).toMatch(/kubernetesDeploymentRollback demo\/web was rolled back at/);
  expect((await entries(again, 'escalated')).length).toBeGreaterThan(0);
  expect(await historyRows('demo', 'web')).toEqual(after);
  await again.signal('abort', { by: 'on-call', reason: 'looking at 2.0.0 first' });
  expect(await again.result()).toMatchObject({ outcome: 'aborted' });
  // kubectl rollout history: one new revision in all.
  expect(await historyRows('demo', 'web')).toEqual(after);
});

test('the printed procedure alone then refuses to roll onto the revision the incident rolled back from', async () => {
  const [cmd, ...args] = printedCommand('--type kubernetesDeploymentRollback ');
  const before = await historyRows('demo', 'web');
  await run(cmd!, args);
  const error = await client.workflow
    .getHandle('demo-web-rollback')
    .result()
    .catch((e: Error & { cause?: Error & { type?: string } }) => e);
  const cause = (error as Error & { cause?: Error & { type?: string } }).cause;
  expect(cause?.type).toBe('MarkedTarget');
  expect(cause?.message).toContain('allowMarkedTarget');
  expect(await historyRows('demo', 'web')).toEqual(before);
});

test('the pasted restore command restores the demo database, and the watch command shows its progress', async () => {
  const [cmd, ...args] = printedCommand('--type rdsSnapshotRestore ');
  await run(cmd!, args);
  const [watchCmd, ...watchArgs] = printedCommand('restore:watch');
  const { stdout } = await run(watchCmd!, watchArgs);
  expect(stdout).toMatch(
    /^\[waiting\] orders-prod-restored {2}(creating|backing-up) {2}\d+s elapsed {2}\d+ polls {2}\(limit 3h00m00s\)/m,
  );
  expect(stdout).toMatch(
    /^\[completed\] orders-prod-restored is available \(not verified: no verification queries given\)$/m,
  );
  const result = await client.workflow.getHandle('demo-rds-restore').result();
  expect(result).toMatchObject({ instance: { instanceId: 'orders-prod-restored', status: 'available' } });
});

test('the printed curl starts a P1 for checkout-api, a second post is counted, rollbackctl confirms it and watch follows it to the end', async () => {
  const [curl, ...curlArgs] = printedCommand('/v1/alerts/alertmanager');
  const first = JSON.parse((await run(curl!, curlArgs)).stdout);
  expect(first).toMatchObject({
    incidents: [{ workflowId: 'rollback-production-checkout-api', started: true, severity: 'P1' }],
  });
  const second = JSON.parse((await run(curl!, curlArgs)).stdout);
  expect(second.incidents).toMatchObject([{ runId: first.incidents[0].runId, started: false }]);
  const handle = client.workflow.getHandle('rollback-production-checkout-api');
  await waitFor('2 alerts', async () => (await status(handle)).alerts === 2);
  await waitForPhase(handle, 'awaiting-confirmation');

  // The printed rollbackctl lines, as pasted (npm run ctl).
  const [statusCmd, ...statusArgs] = printedCommand('npm run ctl -- status');
  expect((await run(statusCmd!, statusArgs)).stdout).toMatch(/awaiting-confirmation/);
  const [confirmCmd, ...confirmArgs] = printedCommand('npm run ctl -- confirm');
  expect((await run(confirmCmd!, confirmArgs)).stdout).toContain('confirmed by alice');
  const watched = await run(process.execPath, [
    distPath('src', 'cli', 'main.js'),
    'watch',
    'rollback-production-checkout-api',
    '--address',
    `127.0.0.1:${ports.temporal}`,
    '--interval',
    '200',
  ]);
  expect(watched.stdout).toMatch(/^\[rolled-back\] P1/m);
  expect(await handle.result()).toMatchObject({ severity: 'P1', outcome: 'rolled-back' });
  // The earlier demo rollback left version 2 on the alias; the incident moved it to 1.
  expect(await aliasVersion(moto(), 'checkout-api')).toBe('1');
});

test('Ctrl-C stops the dev server, moto and the worker', async () => {
  const code = await stack.kill('SIGINT');
  expect(code).toBe(0);
  expect(stack.output()).toContain('stopped.');
  for (const port of [ports.temporal, ports.ui, ports.moto, ports.trigger]) expect(await portAnswers(port)).toBe(false);
});
