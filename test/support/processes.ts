// Real processes of the project (the compiled worker, `npm start`'s script) for end-to-end tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './tools.js';

const execFileAsync = promisify(execFile);

export function distPath(...parts: string[]): string {
  const file = path.join(repoRoot, 'dist', ...parts);
  if (!existsSync(file)) throw new Error(`${file} is missing: \`npm test\` builds it (npm run build)`);
  return file;
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (child.exitCode !== null) {
            done();
            reject(new Error(`process exited (${child.exitCode}) before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} after ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    exited: () => exit,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Starts the compiled worker (`npm run worker`'s entry point) against a Temporal server. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): RunningProcess {
  return startProcess(process.execPath, [distPath('src', 'worker', 'main.js')], { LOG_LEVEL: 'warn', ...env });
}

/** Worker processes that all serve one task queue, so a test can kill one and start the next. */
export interface WorkerPool {
  start(): RunningProcess;
  /** Every worker started so far, oldest first. */
  readonly started: RunningProcess[];
  stopAll(signal?: NodeJS.Signals): Promise<void>;
}

export function workerPool(env: NodeJS.ProcessEnv): WorkerPool {
  const started: RunningProcess[] = [];
  return {
    start() {
      const worker = startWorkerProcess(env);
      started.push(worker);
      return worker;
    },
    started,
    async stopAll(signal = 'SIGINT') {
      await Promise.all(started.map((w) => w.kill(signal)));
    },
  };
}

export async function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(command, args, { cwd: repoRoot });
}
