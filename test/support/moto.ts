// A real moto server on a free loopback port, reset between tests through its /moto-api/reset.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitFor } from './ports.js';
import { toolPath } from './tools.js';

export interface MotoServer {
  endpoint: string;
  region: string;
  process: ChildProcess;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** `env`: added to the server's environment (INITIAL_NO_AUTH_ACTION_COUNT turns on IAM checks). */
export async function startMoto(options: { command?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<MotoServer> {
  const port = await freePort();
  const [cmd, ...args] = options.command ?? [toolPath('moto_server')];
  const child = spawn(cmd!, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor('moto server', async () => {
      if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${stderr}`);
      return (await fetch(`${endpoint}/moto-api/`)).ok;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    region: 'us-east-1',
    process: child,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
