// Payload encryption in tests: fresh random keys, their ROLLBACK_CODEC_KEYS form, and the compiled
// codec server (`npm run codec-server`'s entry point) as a process on a free port.
import { randomBytes } from 'node:crypto';
import type { CodecKey } from '../../src/codec/index.js';
import { freePort, waitFor } from './ports.js';
import { distPath, startProcess, type RunningProcess } from './processes.js';

export function randomKey(id: string): CodecKey {
  return { id, key: randomBytes(32) };
}

/** The ROLLBACK_CODEC_KEYS value for `keys`, newest first. */
export function keysVariable(keys: CodecKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
}

/** The environment that turns encryption off even when the test run itself has keys set. */
export const NO_CODEC_ENV = { ROLLBACK_CODEC_KEYS: '', ROLLBACK_CODEC_KEY_FILE: '' };

export interface CodecServerProcess {
  url: string;
  process: RunningProcess;
  stop(): Promise<void>;
}

/** `node dist/src/codec/server.js` with `env`; resolves once /healthz answers. */
export async function startCodecServerProcess(env: NodeJS.ProcessEnv): Promise<CodecServerProcess> {
  const port = await freePort();
  const child = startProcess(process.execPath, [distPath('src', 'codec', 'server.js')], {
    ROLLBACK_CODEC_KEY_FILE: '',
    ROLLBACK_CODEC_HOST: '127.0.0.1',
    ROLLBACK_CODEC_PORT: String(port),
    LOG_LEVEL: 'info',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`the codec server on ${url}`, async () => {
    if (child.child.exitCode !== null) throw new Error(`codec server exited:\n${child.output()}`);
    return (await fetch(`${url}/healthz`)).ok;
  });
  return {
    url,
    process: child,
    async stop() {
      await child.kill('SIGTERM');
    },
  };
}
