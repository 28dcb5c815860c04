// Payload encryption end to end on the Temporal dev server with its SQLite file: the compiled
// worker and rollbackctl with ROLLBACK_CODEC_KEYS run a verification whose input carries a marker;
// afterwards the server's database files do not contain the marker, while the same run without
// keys leaves it readable there (so the check can fail). The temporal CLI reads the history
// through the codec server; a client without the keys cannot.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { rollbackDataConverter } from '../../src/codec/index.js';
import type { VerifyRollbackResult } from '../../src/workflows/verifyRollback.js';
import {
  keysVariable,
  NO_CODEC_ENV,
  randomKey,
  startCodecServerProcess,
  type CodecServerProcess,
} from '../support/codec.js';
import { devServer, type DevServer } from '../support/devServer.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { distPath, startWorkerProcess, type RunningProcess } from '../support/processes.js';
import { uniqueTaskQueue } from '../support/temporal.js';
import { repoRoot, toolPath } from '../support/tools.js';

const keys = [randomKey('e2e-2026-06'), randomKey('e2e-2025-01')];
const keysEnv = { ROLLBACK_CODEC_KEYS: keysVariable(keys), ROLLBACK_CODEC_KEY_FILE: '' };
const taskQueue = uniqueTaskQueue('codec');
const CODEC_TOKEN = 'e2e-codec-token';

let receiver: HttpReceiver;
let encrypted: DevServer;
let plain: DevServer;
const workers: RunningProcess[] = [];
let codecServer: CodecServerProcess | undefined;

beforeAll(async () => {
  [receiver, encrypted, plain] = await Promise.all([
    startHttpReceiver(),
    devServer({ dataConverter: rollbackDataConverter(keys) }),
    devServer({ dataConverter: undefined }),
  ]);
  workers.push(
    startWorkerProcess({ TEMPORAL_ADDRESS: encrypted.address, TEMPORAL_TASK_QUEUE: taskQueue, ...keysEnv }),
    startWorkerProcess({ TEMPORAL_ADDRESS: plain.address, TEMPORAL_TASK_QUEUE: taskQueue, ...NO_CODEC_ENV }),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGINT')));
  await Promise.all([encrypted?.close(), plain?.close(), receiver?.close(), codecServer?.stop()]);
});

/** A verification whose input (reason, requester, the checked URL) carries `marker`. */
function verificationInput(marker: string) {
  return {
    checks: [{ check: 'httpHealth', url: `${receiver.url}/ok/${marker}`, consecutive: 1 }],
    reason: `rolled back release 3 (${marker})`,
    requestedBy: `alice-${marker}`,
  };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function runFile(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) =>
    execFile(file, args, { cwd: repoRoot, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** rollbackctl (compiled) against the encrypted server, with the keys in its environment. */
const ctl = (...args: string[]) =>
  runFile(process.execPath, [distPath('src', 'cli', 'main.js'), ...args], {
    TEMPORAL_ADDRESS: encrypted.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...keysEnv,
  });

/** The bytes the dev server left on disk: the SQLite file with its write-ahead log, once it has stopped. */
async function storedBytes(server: DevServer): Promise<Buffer> {
  const stopped = await server.stop('SIGTERM');
  expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
  const files = [server.dbFile, `${server.dbFile}-wal`, `${server.dbFile}-shm`].filter((f) => existsSync(f));
  expect(files).toContain(server.dbFile);
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function text(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? []).toString('utf8');
}

function firstInput(history: temporal.api.history.v1.IHistory) {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
}

test('with keys, rollbackctl and the worker encrypt every payload: the SQLite file holds no marker, the CLI reads it through the codec server', async () => {
  const marker = `MARKER-${randomUUID()}`;
  // The workflow id is stored in the clear (it is not a payload): it must not carry the marker.
  const workflowId = `encrypted-verify-${randomUUID().slice(0, 8)}`;

  const started = await ctl(
    'start',
    '--type',
    'verifyRollback',
    '--input',
    JSON.stringify(verificationInput(marker)),
    '--workflow-id',
    workflowId,
    '--json',
  );
  expect(started).toMatchObject({ code: 0, stderr: '' });

  // The test's client has the keys: the result reads as usual.
  const handle = encrypted.client.workflow.getHandle(workflowId);
  const result = await handle.result();
  expect(result as VerifyRollbackResult).toMatchObject({
    verdict: 'healthy',
    reason: `rolled back release 3 (${marker})`,
    requestedBy: `alice-${marker}`,
  });
  // rollbackctl decodes the result with the keys of its environment.
  const status = await ctl('status', workflowId, '--json');
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ execution: 'COMPLETED', result: { verdict: 'healthy' } });
  expect(status.stdout).toContain(marker);

  // In the history itself: the input is ciphertext under the newest key, and so is every payload.
  const history = await handle.fetchHistory();
  const input = firstInput(history);
  expect(text(input?.metadata?.encoding)).toBe('binary/encrypted');
  expect(text(input?.metadata?.['encryption-key-id'])).toBe('e2e-2026-06');
  expect(JSON.stringify(history)).not.toContain(marker);
  const activityInput = history.events?.find((e) => e.activityTaskScheduledEventAttributes)
    ?.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
  expect(text(activityInput?.metadata?.encoding)).toBe('binary/encrypted');

  // A client without the keys cannot read the result.
  const keyless = new Client({ connection: encrypted.client.connection, namespace: 'default' });
  await expect(keyless.workflow.getHandle(workflowId).result()).rejects.toThrow(/binary\/encrypted/);

  // The temporal CLI shows the history decoded through the codec server, and only through it.
  codecServer = await startCodecServerProcess({ ...keysEnv, ROLLBACK_CODEC_TOKEN: CODEC_TOKEN });
  const show = (...extra: string[]) =>
    runFile(
      toolPath('temporal'),
      ['workflow', 'show', '--address', encrypted.address, '--workflow-id', workflowId, '--output', 'json', ...extra],
      {},
    );
  const decoded = await show('--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${CODEC_TOKEN}`);
  expect({ code: decoded.code, stderr: decoded.stderr }).toEqual({ code: 0, stderr: '' });
  // JSON output keeps bytes in base64: the started event's input, decoded by the codec server.
  const shown = JSON.parse(decoded.stdout) as { events: { workflowExecutionStartedEventAttributes?: unknown }[] };
  const shownInput = (
    shown.events[0]!.workflowExecutionStartedEventAttributes as {
      input: { payloads: { metadata: Record<string, string>; data: string }[] };
    }
  ).input.payloads[0]!;
  expect(Buffer.from(shownInput.metadata.encoding!, 'base64').toString()).toBe('json/plain');
  expect(JSON.parse(Buffer.from(shownInput.data, 'base64').toString())).toMatchObject({
    reason: `rolled back release 3 (${marker})`,
  });
  const raw = await show();
  expect(raw.code).toBe(0);
  // Without it: the key id (base64 in the metadata) and ciphertext only.
  expect(raw.stdout).toContain(Buffer.from('e2e-2026-06').toString('base64'));
  expect(raw.stdout).not.toContain(Buffer.from('json/plain').toString('base64'));
  expect(raw.stdout).not.toContain(marker);

  // On disk, after the server has written everything out: no trace of the marker, though the run is there.
  const bytes = await storedBytes(encrypted);
  expect(bytes.includes(workflowId)).toBe(true);
  expect(bytes.includes(marker)).toBe(false);
  expect(bytes.includes(`alice-${marker}`)).toBe(false);
});

test('without keys, the same run leaves the marker readable in the SQLite file (what the test above rules out)', async () => {
  const marker = `MARKER-${randomUUID()}`;
  const workflowId = `plain-verify-${randomUUID().slice(0, 8)}`;
  const result = await plain.client.workflow.execute('verifyRollback', {
    args: [verificationInput(marker)],
    taskQueue,
    workflowId,
  });
  expect(result).toMatchObject({ verdict: 'healthy', requestedBy: `alice-${marker}` });
  const input = firstInput(await plain.client.workflow.getHandle(workflowId).fetchHistory());
  expect(text(input?.metadata?.encoding)).toBe('json/plain');

  const bytes = await storedBytes(plain);
  expect(bytes.includes(workflowId)).toBe(true);
  expect(bytes.includes(`alice-${marker}`)).toBe(true);
});
