// The `terraformPlanClean` verification check (docs/verification.md) with the real OpenTofu
// `npm run tools` built, on `terraform_data` configurations with the local backend in temp dirs:
// a clean applied config passes, a config changed after apply fails naming the resources, a
// broken config, a missing directory, a missing binary and a plan past the time limit are
// unreadable. The check only reads: state and directory are the same after it. Then one
// verifyRollback run on the time-skipping server with a clean and a changed directory.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCheckActivities, type CheckDependencies } from '../../src/activities/checks/index.js';
import type { KubeClient } from '../../src/activities/kubernetes/client.js';
import { checkInput } from '../../src/domain/schemas/verifyRollback.js';
import type { CheckResult } from '../../src/domain/verification.js';
import type { VerifyRollbackResult } from '../../src/workflows/verifyRollback.js';
import { runActivity } from '../support/activityContext.js';
import { configFor, createTestWorker, startTimeSkipping } from '../support/temporal.js';
import { applyHere, removeTempDirs, tempDir, tofu } from '../support/terraform.js';

const noKube = (): KubeClient => {
  throw new Error('no Kubernetes in this test');
};

function checker(terraform?: CheckDependencies['terraform']) {
  // CloudWatch and Route53 are never called by this check.
  const { runVerificationCheck } = createCheckActivities({
    cloudwatch: {} as CheckDependencies['cloudwatch'],
    route53: {} as CheckDependencies['route53'],
    kube: noKube,
    terraform,
  });
  return (raw: Record<string, unknown>): Promise<CheckResult> =>
    runActivity(runVerificationCheck, checkInput.parse({ check: 'terraformPlanClean', ...raw }));
}

const runCheck = checker();

const A_V1 = 'resource "terraform_data" "a" {\n  input = "v1"\n}\n';

/** A working directory whose `main.tf` is applied. */
async function appliedDir(config = A_V1, files: Record<string, string> = {}): Promise<string> {
  const dir = tempDir('plan-clean-');
  writeFileSync(path.join(dir, 'main.tf'), config);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  await applyHere(dir);
  return dir;
}

/** Every file under `dir` with its content, to show the check changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = readFileSync(file, 'utf8');
  }
  return out;
}

afterAll(() => removeTempDirs());

test('a clean applied config passes (exit code 0); the directory and state are left as they were', async () => {
  const dir = await appliedDir();
  const before = snapshot(dir);
  const r = await runCheck({ workingDirectory: dir });
  expect(r).toMatchObject({
    check: 'terraformPlanClean',
    status: 'passed',
    passed: true,
    observed: 'no changes',
    expected: 'no changes (exit code 0)',
  });
  expect(r.target).toBe(`tofu plan in ${dir}`);
  expect(snapshot(dir)).toEqual(before);
});

test('a config changed after apply fails with the plan summary and the resources that would change', async () => {
  const dir = await appliedDir();
  writeFileSync(
    path.join(dir, 'main.tf'),
    'resource "terraform_data" "a" {\n  input = "v2"\n}\nresource "terraform_data" "b" {\n  input = "b1"\n}\n',
  );
  const before = snapshot(dir);
  const r = await runCheck({ workingDirectory: dir });
  expect(r).toMatchObject({
    status: 'failed',
    passed: false,
    observed: 'Plan: 1 to add, 1 to change, 0 to destroy.',
    value: 2,
  });
  expect(r.detail).toBe('terraform_data.a will be updated in-place; terraform_data.b will be created');
  // -lock=false and no -out: no lock file, no plan file, the state untouched.
  expect(snapshot(dir)).toEqual(before);
});

test('varFiles are passed as -var-file; without them the plan cannot run and the check is unreadable', async () => {
  const dir = tempDir('plan-clean-vars-');
  writeFileSync(
    path.join(dir, 'main.tf'),
    'variable "label" {\n  type = string\n}\nresource "terraform_data" "a" {\n  input = var.label\n}\n',
  );
  writeFileSync(path.join(dir, 'prod.tfvars'), 'label = "prod"\n');
  writeFileSync(path.join(dir, 'staging.tfvars'), 'label = "staging"\n');
  await tofu(dir, ['init', '-input=false']);
  await tofu(dir, ['apply', '-input=false', '-auto-approve', '-var-file=prod.tfvars']);

  expect(await runCheck({ workingDirectory: dir, varFiles: ['prod.tfvars'] })).toMatchObject({ status: 'passed' });
  // The later file wins, as on Terraform's own command line.
  const staging = await runCheck({ workingDirectory: dir, varFiles: ['prod.tfvars', 'staging.tfvars'] });
  expect(staging).toMatchObject({ status: 'failed', observed: 'Plan: 0 to add, 1 to change, 0 to destroy.' });
  expect(staging.detail).toBe('terraform_data.a will be updated in-place');
  const none = await runCheck({ workingDirectory: dir });
  expect(none).toMatchObject({ status: 'unreadable', passed: false, observed: 'plan failed (exit code 1)' });
  expect(none.detail).toBe('Error: No value for required variable');
});

test('a broken config is unreadable with the first error line', async () => {
  // Applied, then broken. A config of built-in resources only has no `.terraform` directory
  // after init, so the check runs init again, which already refuses the config.
  const dir = await appliedDir();
  writeFileSync(path.join(dir, 'main.tf'), 'resource "terraform_data" "a" {\n  input = "v1"\n');
  const r = await runCheck({ workingDirectory: dir });
  expect(r).toMatchObject({ status: 'unreadable', passed: false, observed: 'init failed (exit code 1)' });
  expect(r.detail).toBe('Error: Unclosed configuration block');

  // Initialised (a local module gives it a `.terraform`): init is not run again, plan exits 1.
  const withModule = `${A_V1}module "m" {\n  source = "./m"\n}\n`;
  const initialised = await appliedDir(withModule, { 'm/main.tf': 'resource "terraform_data" "m" {}\n' });
  expect(readdirSync(initialised)).toContain('.terraform');
  writeFileSync(path.join(initialised, 'main.tf'), `${withModule}resource "terraform_data" "x" {\n`);
  const r2 = await runCheck({ workingDirectory: initialised });
  expect(r2).toMatchObject({ status: 'unreadable', passed: false, observed: 'plan failed (exit code 1)' });
  expect(r2.detail).toBe('Error: Unclosed configuration block');
});

test('a missing directory and a missing binary are unreadable, naming what is missing', async () => {
  const missing = path.join(tempDir('plan-clean-gone-'), 'no-such-dir');
  expect(await runCheck({ workingDirectory: missing })).toMatchObject({
    status: 'unreadable',
    passed: false,
    observed: 'no working directory',
    detail: `${missing} does not exist or is not a directory`,
  });

  const dir = await appliedDir();
  const noBinary = await checker({ bin: '/nonexistent/tofu' })({ workingDirectory: dir });
  expect(noBinary).toMatchObject({ status: 'unreadable', passed: false, observed: 'not run' });
  expect(noBinary.detail).toContain('/nonexistent/tofu is not installed');
});

test("a plan that outlasts the check's time limit is stopped and unreadable", async () => {
  // A stand-in binary that hangs (OpenTofu has no slow plan without a real provider).
  const bin = path.join(tempDir('plan-clean-bin-'), 'tofu');
  writeFileSync(bin, '#!/bin/sh\nexec sleep 60\n');
  chmodSync(bin, 0o755);
  const dir = tempDir('plan-clean-slow-');
  mkdirSync(path.join(dir, '.terraform'));
  const started = Date.now();
  const r = await checker({ bin })({ workingDirectory: dir, timeoutSeconds: 2 });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(r).toMatchObject({ status: 'unreadable', passed: false, observed: 'plan did not finish' });
  expect(r.detail).toBe("plan did not finish within the check's time limit (2 s) and was stopped");
});

describe('verifyRollback with terraformPlanClean', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let taskQueue: string;
  let running: Promise<void>;

  beforeAll(async () => {
    env = await startTimeSkipping();
    ({ worker, taskQueue } = await createTestWorker(env, configFor('http://127.0.0.1:1')));
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  test('a clean directory passes, a changed one fails: the verdict is unhealthy', async () => {
    const clean = await appliedDir();
    const changed = await appliedDir();
    writeFileSync(path.join(changed, 'main.tf'), 'resource "terraform_data" "a" {\n  input = "v2"\n}\n');
    const result: VerifyRollbackResult = await env.client.workflow.execute('verifyRollback', {
      args: [
        {
          checks: [
            { check: 'terraformPlanClean', workingDirectory: clean },
            { check: 'terraformPlanClean', workingDirectory: changed, timeoutSeconds: 30, intervalSeconds: 10 },
          ],
        },
      ],
      taskQueue,
      workflowId: `verify-plan-clean-${process.pid}`,
    });
    expect(result.verdict).toBe('unhealthy');
    expect(result.results[0]).toMatchObject({ status: 'passed', observed: 'no changes', readings: 1 });
    expect(result.results[1]).toMatchObject({
      status: 'failed',
      observed: 'Plan: 0 to add, 1 to change, 0 to destroy.',
      detail: expect.stringContaining('terraform_data.a will be updated in-place'),
    });
    // Readings every 10 s within 30 s, each a failed plan.
    expect(result.results[1]!.readings).toBeGreaterThanOrEqual(2);
    expect(result.message).toBe(
      'unhealthy: 1 of 2 checks passed; terraformPlanClean failed (Plan: 0 to add, 1 to change, 0 to destroy.)',
    );
  });
});
