// `npm start` with ROLLBACK_CODEC_KEYS set: it starts the codec server, gives its address to the
// dev server's Web UI (--ui-codec-endpoint) and prints it; the printed CLI command encodes its
// input through it, so the run's history holds ciphertext that the keys (and only they) read.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { rollbackDataConverter } from '../../src/codec/index.js';
import { DEMO_WORKFLOW_ID } from '../../tools/local/demo.js';
import { portAnswers } from '../../tools/local/processes.js';
import { aliasVersion } from '../support/aws.js';
import { keysVariable, randomKey } from '../support/codec.js';
import { freePort, waitFor } from '../support/ports.js';
import { distPath, run, startProcess, type RunningProcess } from '../support/processes.js';

const keys = [randomKey('demo-new'), randomKey('demo-old')];
let stack: RunningProcess;
let connection: Connection;
let client: Client;
let ports: { temporal: number; ui: number; moto: number; trigger: number; codec: number };
let dataDir: string;

beforeAll(async () => {
  ports = {
    temporal: await freePort(),
    ui: await freePort(),
    moto: await freePort(),
    trigger: await freePort(),
    codec: await freePort(),
  };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollback-start-codec-'));
  stack = startProcess(process.execPath, [distPath('scripts', 'start.js')], {
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    MOTO_PORT: String(ports.moto),
    TRIGGER_PORT: String(ports.trigger),
    ROLLBACK_CODEC_PORT: String(ports.codec),
    ROLLBACK_CODEC_KEYS: keysVariable(keys),
    ROLLBACK_CODEC_KEY_FILE: '',
    ROLLBACK_CODEC_TOKEN: '',
    ROLLBACK_CODEC_CORS_ORIGIN: '',
    DATA_DIR: dataDir,
    // The Kubernetes demo is npmStart.test.ts's; this test is about the codec.
    ROLLBACK_SKIP_K8S: '1',
  });
  await stack.waitForOutput(/^READY$/m, 180_000);
  connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  client = new Client({ connection, dataConverter: rollbackDataConverter(keys) });
}, 200_000);
afterAll(async () => {
  await connection?.close();
  if (stack) await stack.kill('SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
});

const codecEndpoint = () => `http://127.0.0.1:${ports.codec}`;

test('prints the codec server, which answers, and the Web UI is configured to decode through it', async () => {
  expect(stack.output()).toContain(
    `Codec server      ${codecEndpoint()}   payloads encrypted with key "demo-new" (2 configured)`,
  );
  for (const k of keys) expect(stack.output()).not.toContain(k.key.toString('base64'));
  expect((await fetch(`${codecEndpoint()}/healthz`)).ok).toBe(true);
  const settings = (await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).json()) as {
    Codec: { Endpoint: string };
  };
  expect(settings.Codec.Endpoint).toBe(codecEndpoint());
  // The browser calls it from the UI's origin (either spelling of the host).
  for (const origin of [`http://localhost:${ports.ui}`, `http://127.0.0.1:${ports.ui}`]) {
    const preflight = await fetch(`${codecEndpoint()}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  }
});

test('the pasted command encodes its input through the codec server; the worker decrypts it and rolls the alias back', async () => {
  const line = stack
    .output()
    .split('\n')
    .find((l) => l.includes('--type lambdaAliasRollback '));
  expect(line).toContain(`--codec-endpoint ${codecEndpoint()}`);
  await run('bash', ['-c', line!.trim()]);
  const handle = client.workflow.getHandle(DEMO_WORKFLOW_ID);
  expect(await handle.result()).toMatchObject({ fromVersion: '3', toVersion: '2', verified: true });
  expect(await aliasVersion({ endpoint: `http://127.0.0.1:${ports.moto}`, region: 'us-east-1' }, 'checkout-api')).toBe(
    '2',
  );
  const history = await handle.fetchHistory();
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  expect(Buffer.from(input?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('demo-new');
  expect(JSON.stringify(history)).not.toContain(Buffer.from('json/plain').toString('base64'));
});

test('Ctrl-C stops the codec server with the rest', async () => {
  expect(await stack.kill('SIGINT')).toBe(0);
  await waitFor('the codec port to close', async () => !(await portAnswers(ports.codec)), 10_000);
  expect(stack.output()).toContain('the codec server');
});
