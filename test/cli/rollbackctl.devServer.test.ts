// The compiled rollbackctl (node dist/src/cli/main.js) as a child process against the Temporal
// dev server, an in-process worker and moto: a P1 incident for a Lambda service from the
// catalog, a refused and an accepted confirmation, watch to the end, list, history, a single
// procedure, and the exit codes (0 ok, 1 failed or refused, 2 usage).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { aliasVersion } from '../support/aws.js';
import { waitForPhase } from '../support/incident.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { waitFor } from '../support/ports.js';
import { distPath, startProcess, type RunningProcess } from '../support/processes.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import { repoRoot } from '../support/tools.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let env: TestWorkflowEnvironment;
let moto: MotoServer;
let worker: Worker;
let running: Promise<void>;
let cliEnv: NodeJS.ProcessEnv;
let dir: string;
const processes: RunningProcess[] = [];
const main = distPath('src', 'cli', 'main.js');

/** rollbackctl with `args`; never rejects, the exit code is in the answer. */
function ctl(...args: string[]): Promise<Run> {
  return new Promise((resolve) =>
    execFile(process.execPath, [main, ...args], { cwd: repoRoot, env: cliEnv }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
}

beforeAll(async () => {
  [env, moto] = await Promise.all([startDevServer(), startMoto()]);
  // One after the other: both create the same demo IAM role.
  await seedLambdaFunction(moto, 'ctl-api');
  await seedLambdaFunction(moto, 'ctl-fn');
  // Incidents plan their procedures before anything else, so the functions they name exist.
  for (const fn of ['ctl-p1-fn', 'ctl-p2-fn']) await seedLambdaFunction(moto, fn);
  let taskQueue: string;
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  running = worker.run();
  dir = mkdtempSync(path.join(tmpdir(), 'rollbackctl-'));
  const catalog = path.join(dir, 'catalog.yaml');
  writeFileSync(
    catalog,
    `services:
  - name: ctl-api
    environments: [production]
    procedures:
      - type: lambdaAliasRollback
        input: { functionName: ctl-api, alias: "\${environment}" }
    approvers: [alice]
`,
  );
  cliEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    ROLLBACK_CATALOG: catalog,
  };
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await Promise.all([env?.teardown(), moto?.stop()]);
});

test('usage errors exit 2 with a message naming the flag and no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['status'], /missing required argument 'workflowId'/],
    [['start', '--input', '{bad'], /--input: not valid JSON/],
    [['start', '--input', '@/nonexistent/input.json'], /--input: cannot read \/nonexistent\/input.json/],
    [['list', '--severity', 'P9'], /--severity <severity>.*P9/],
    [['list', '--phase', 'done'], /--phase <phase>.*done.*awaiting-confirmation/],
    [['confirm', 'rollback-production-ctl-api'], /required option '--by <name>'/],
    [['start', '--service', 'ctl-api', '--error-rate', 'lots'], /--error-rate <pct>.*lots/],
    [
      ['start', '--service', 'nope', '--severity', 'P1', '--reason', 'r'],
      /--service: "nope" is not in the service catalog/,
    ],
    [['start', '--input', '{"service":"x"}'], /incidentRollback: invalid input: .*environment/],
    [['start', '--input', '{}', '--severity', 'P1'], /--input is the whole incident input: drop --severity/],
    [
      ['start', '--type', 'nopeRollback', '--input', '{}'],
      /--type: "nopeRollback" is not incidentRollback or a procedure/,
    ],
    [['bogus'], /unknown command 'bogus'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => ctl(...args)));
  runs.forEach((r, i) => {
    expect({ args: cases[i]![0], code: r.code }).toEqual({ args: cases[i]![0], code: 2 });
    expect(r.stderr).toMatch(cases[i]![1]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

test('a P1 incident from the catalog: status, a refused and an accepted confirm, watch to the end, list, history', async () => {
  const started = await ctl(
    'start',
    '--service',
    'ctl-api',
    '--severity',
    'P1',
    '--reason',
    'error rate 12%',
    '--requested-by',
    'pager',
    '--json',
  );
  expect(started).toMatchObject({ code: 0, stderr: '' });
  const answer = JSON.parse(started.stdout);
  expect(answer).toMatchObject({ workflowId: 'rollback-production-ctl-api', type: 'incidentRollback', started: true });
  const id: string = answer.workflowId;
  await waitForPhase(env.client.workflow.getHandle(id), 'awaiting-confirmation');

  const again = await ctl('start', '--service', 'ctl-api', '--severity', 'P1', '--reason', 'again');
  expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining(`signalled the running incident ${id}`) });

  const text = await ctl('status', id);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/phase:\s+awaiting-confirmation/);
  expect(text.stdout).toMatch(/severity:\s+P1/);
  expect(text.stdout).toMatch(/lambdaAliasRollback/);
  const json = JSON.parse((await ctl('status', id, '--json')).stdout);
  expect(json).toMatchObject({ incidentId: id, phase: 'awaiting-confirmation', severity: 'P1', alerts: 2 });

  const refused = await ctl('confirm', id, '--by', 'mallory');
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/confirm refused: .*mallory/);
  const refusedJson = JSON.parse((await ctl('confirm', id, '--by', 'mallory', '--json')).stdout);
  expect(refusedJson).toMatchObject({ accepted: false, decision: 'confirm', by: 'mallory', type: 'ApprovalRefused' });

  // Piped, watch prints a line per change and exits when the run closes.
  const watching = startProcess(process.execPath, [main, 'watch', id, '--interval', '100'], cliEnv);
  processes.push(watching);
  await watching.waitForOutput(/^\[awaiting-confirmation\] P1, (\d+[hms])+ left: waiting for confirm/m);
  const confirmed = await ctl('confirm', id, '--by', 'alice', '--notes', 'go', '--json');
  expect(confirmed.code).toBe(0);
  expect(JSON.parse(confirmed.stdout)).toMatchObject({ accepted: true, decision: 'confirmed', by: 'alice' });
  expect(await watching.exited()).toBe(0);
  const lines = watching.output().trim().split('\n');
  expect(lines.at(-1)).toMatch(/^\[rolled-back\] P1: /);
  // A line per change, not per tick of the countdown.
  expect(lines.filter((l) => l.startsWith('[awaiting-confirmation]'))).toHaveLength(1);
  expect(await aliasVersion(moto, 'ctl-api')).toBe('2');

  // Visibility is eventually consistent: wait until the list answers, then check its output.
  const listed = await waitFor('the incident in the list', async () => {
    const r = await ctl('list', '--severity', 'P1', '--json');
    const rows = JSON.parse(r.stdout) as { workflowId: string; phase: string }[];
    return rows.find((row) => row.workflowId === id && row.phase === 'rolled-back') ? rows : undefined;
  });
  expect(listed.find((r) => r.workflowId === id)).toMatchObject({
    service: 'ctl-api',
    environment: 'production',
    severity: 'P1',
    status: 'COMPLETED',
    slaBreached: false,
  });
  const table = await ctl('list', '--severity', 'P1', '--service', 'ctl-api');
  expect(table.stdout).toMatch(/^WORKFLOW ID\s+SERVICE\s+ENV\s+SEV\s+PHASE/);
  expect(table.stdout).toMatch(
    new RegExp(`^${id}\\s+ctl-api\\s+production\\s+P1\\s+rolled-back\\s+ok\\s+COMPLETED`, 'm'),
  );
  expect((await ctl('list', '--severity', 'P0', '--service', 'ctl-api')).stdout).toBe('no incidents match\n');

  const historyText = await ctl('history', id);
  expect(historyText.code).toBe(0);
  expect(historyText.stdout).toMatch(/^\S+ {2}confirmed +alice +rollback confirmed: go$/m);
  expect(historyText.stdout).toMatch(/^\S+ {2}refused +mallory +confirm refused: mallory is not an approver/m);
  const timeline = JSON.parse((await ctl('history', id, '--json')).stdout) as { kind: string; by?: string }[];
  expect(timeline).toContainEqual(expect.objectContaining({ kind: 'confirmed', by: 'alice' }));
});

/** A raw incident input for `service`, whose procedure is planned but never applied in these tests. */
function rawInput(service: string, severity: string) {
  return {
    service,
    environment: 'staging',
    severity,
    procedures: [{ type: 'lambdaAliasRollback', input: { functionName: `${service}-fn` } }],
    reason: 'latency after release 7',
    requestedBy: 'test',
    approvers: ['alice'],
  };
}

test('escalate, reject and abort on incidents started from --input (a file and inline JSON)', async () => {
  const file = path.join(dir, 'incident.json');
  writeFileSync(file, JSON.stringify(rawInput('ctl-p2', 'P2')));
  const p2 = JSON.parse((await ctl('start', '--input', `@${file}`, '--json')).stdout);
  expect(p2).toMatchObject({ workflowId: 'rollback-staging-ctl-p2', started: true });
  const p2Handle = env.client.workflow.getHandle(p2.workflowId);
  await waitForPhase(p2Handle, 'monitoring');
  expect((await ctl('escalate', p2.workflowId, '--severity', 'P1', '--by', 'alice', '--reason', 'worse')).code).toBe(0);
  await waitForPhase(p2Handle, 'awaiting-confirmation');
  const rejected = await ctl('reject', p2.workflowId, '--by', 'alice', '--reason', 'false alarm');
  expect(rejected).toMatchObject({ code: 0, stdout: 'rejected by alice (the incident was awaiting-confirmation)\n' });
  expect((await ctl('watch', p2.workflowId, '--interval', '100')).stdout).toMatch(/^\[rejected\] P1/m);
  const timeline = JSON.parse((await ctl('history', p2.workflowId, '--json')).stdout);
  expect(timeline).toContainEqual(expect.objectContaining({ kind: 'severity-changed', by: 'alice' }));

  const p1 = JSON.parse((await ctl('start', '--input', JSON.stringify(rawInput('ctl-p1', 'P1')), '--json')).stdout);
  await waitForPhase(env.client.workflow.getHandle(p1.workflowId), 'awaiting-confirmation');
  expect((await ctl('abort', p1.workflowId, '--by', 'alice', '--reason', 'fixed forward')).code).toBe(0);
  const watched = await ctl('watch', p1.workflowId, '--interval', '100', '--json');
  expect(watched.code).toBe(0);
  const last = JSON.parse(watched.stdout.trim().split('\n').at(-1)!);
  expect(last).toMatchObject({ status: 'COMPLETED', workflow: { phase: 'aborted' } });
});

test('a single procedure: start --type, status and watch exit 0; a failing one makes watch exit 1', async () => {
  const ok = await ctl(
    'start',
    '--type',
    'lambdaAliasRollback',
    '--input',
    '{"functionName":"ctl-fn","alias":"production"}',
    '--workflow-id',
    'ctl-fn-rollback',
    '--json',
  );
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ workflowId: 'ctl-fn-rollback', type: 'lambdaAliasRollback' });
  expect((await ctl('watch', 'ctl-fn-rollback', '--interval', '100')).code).toBe(0);
  expect(await aliasVersion(moto, 'ctl-fn')).toBe('2');
  const procedureStatus = JSON.parse((await ctl('status', 'ctl-fn-rollback', '--json')).stdout);
  expect(procedureStatus).toMatchObject({ workflowType: 'lambdaAliasRollback' });

  const missing = await ctl(
    'start',
    '--type',
    'lambdaAliasRollback',
    '--input',
    '{"functionName":"ctl-no-such-function"}',
    '--workflow-id',
    'ctl-missing-rollback',
  );
  expect(missing.code).toBe(0);
  const failed = await ctl('watch', 'ctl-missing-rollback', '--interval', '100');
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/ctl-missing-rollback failed: /);

  expect(await ctl('status', 'no-such-workflow')).toMatchObject({
    code: 1,
    stderr: expect.stringContaining('workflow "no-such-workflow" not found'),
  });
});
