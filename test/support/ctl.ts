// The compiled rollbackctl (node dist/src/cli/main.js) as a child process against the Temporal dev
// server and an in-process worker with real activities: for tests that run a procedure from the
// CLI the way a person does (start, watch, status), dry run first and then for real.
import { execFile } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AppConfig } from '../../src/config/env.js';
import { distPath } from './processes.js';
import { createTestWorker, startDevServer } from './temporal.js';
import { repoRoot } from './tools.js';

export interface CtlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliServer {
  env: TestWorkflowEnvironment;
  /** rollbackctl with `args`; never rejects, the exit code is in the answer. */
  ctl(...args: string[]): Promise<CtlRun>;
  stop(): Promise<void>;
}

/** The dev server, a worker with `config` on its own task queue, and rollbackctl pointed at both. */
export async function startCliServer(config: AppConfig): Promise<CliServer> {
  const main = distPath('src', 'cli', 'main.js');
  const env = await startDevServer();
  let worker: Worker;
  let taskQueue: string;
  try {
    ({ worker, taskQueue } = await createTestWorker(env, config));
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const running = worker.run();
  const cliEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  return {
    env,
    ctl: (...args) =>
      new Promise((resolve) =>
        execFile(process.execPath, [main, ...args], { cwd: repoRoot, env: cliEnv }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        ),
      ),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await env.teardown();
    },
  };
}

/** What `rollbackctl status --json` shows of a closed procedure: its status query and its outcome. */
export interface ClosedProcedure<R> {
  workflowType: string;
  step: string;
  detail: string;
  plan?: unknown;
  completed: { step: string; detail: string }[];
  result?: R;
  error?: string;
}

/**
 * `start --type <type> --input <json> --workflow-id <id>`, then `watch` until the run closes (its
 * exit code is the test's signal, no sleeping), then `status --json`: the closed run as the CLI
 * shows it. Fails with the CLI's own output when a step does not exit 0.
 */
export async function runProcedure<R>(
  ctl: CliServer['ctl'],
  type: string,
  workflowId: string,
  input: Record<string, unknown>,
): Promise<{ status: ClosedProcedure<R>; watched: string; text: string }> {
  const started = await ctl(
    'start',
    '--type',
    type,
    '--input',
    JSON.stringify(input),
    '--workflow-id',
    workflowId,
    '--json',
  );
  expect({ step: 'start', ...started }).toMatchObject({ step: 'start', code: 0, stderr: '' });
  expect(JSON.parse(started.stdout)).toMatchObject({ workflowId, type, started: true });
  const watched = await ctl('watch', workflowId, '--interval', '100');
  expect({ step: 'watch', ...watched }).toMatchObject({ step: 'watch', code: 0 });
  const json = await ctl('status', workflowId, '--json');
  expect({ step: 'status --json', ...json }).toMatchObject({ step: 'status --json', code: 0 });
  const text = await ctl('status', workflowId);
  expect({ step: 'status', ...text }).toMatchObject({ step: 'status', code: 0 });
  return { status: JSON.parse(json.stdout) as ClosedProcedure<R>, watched: watched.stdout, text: text.stdout };
}
