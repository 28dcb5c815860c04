// The codec server over real HTTP, as the Temporal Web UI and CLI call it: proto-JSON payloads
// through /encode and /decode, CORS preflights from the UI's origin, the bearer token, and the
// compiled entry point started the way `npm run codec-server` starts it.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildCodecServer, loadCodecServerConfig } from '../../src/codec/codecServer.js';
import { AesGcmPayloadCodec } from '../../src/codec/index.js';
import { keysVariable, NO_CODEC_ENV, randomKey, startCodecServerProcess } from '../support/codec.js';
import { distPath, startProcess } from '../support/processes.js';

const UI_ORIGIN = 'http://localhost:8233';
const TOKEN = 'codec-test-token';
const keys = [randomKey('k2'), randomKey('k1')];
const codec = new AesGcmPayloadCodec(keys);

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** A payload as the UI sends it: proto JSON, every bytes field in base64. */
function jsonOf(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

let open: FastifyInstance;
let guarded: FastifyInstance;
let openUrl: string;
let guardedUrl: string;

beforeAll(async () => {
  open = buildCodecServer({ codec, corsOrigins: [UI_ORIGIN, 'http://127.0.0.1:8233'] });
  guarded = buildCodecServer({ codec, corsOrigins: [UI_ORIGIN], token: TOKEN });
  openUrl = await open.listen({ host: '127.0.0.1', port: 0 });
  guardedUrl = await guarded.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()]);
});

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('/encode then /decode round-trips payloads; encoded ones carry the key id and no plaintext', async () => {
  const plain = jsonOf(defaultPayloadConverter.toPayload({ reason: 'MARKER-encode-7', n: 1 }));
  const encoded = await post(`${openUrl}/encode`, { payloads: [plain] });
  expect(encoded.status).toBe(200);
  const { payloads } = (await encoded.json()) as { payloads: JsonPayload[] };
  expect(payloads).toHaveLength(1);
  expect(unb64(payloads[0]!.metadata.encoding)).toBe('binary/encrypted');
  expect(unb64(payloads[0]!.metadata['encryption-key-id'])).toBe('k2');
  expect(Buffer.from(payloads[0]!.data, 'base64').includes('MARKER-encode-7')).toBe(false);

  const decoded = await post(`${openUrl}/decode`, { payloads });
  expect(decoded.status).toBe(200);
  expect(await decoded.json()).toEqual({ payloads: [plain] });
});

test('/decode reads what a client with the same keys encrypted (the old key too), and passes plain payloads through', async () => {
  const older = new AesGcmPayloadCodec([keys[1]!]);
  const [byClient] = await older.encode([defaultPayloadConverter.toPayload({ reason: 'MARKER-old-key' })]);
  const plain = jsonOf(defaultPayloadConverter.toPayload('plain text'));
  const res = await post(`${openUrl}/decode`, { payloads: [jsonOf(byClient!), plain] });
  expect(res.status).toBe(200);
  const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
  expect(unb64(payloads[0]!.metadata.encoding)).toBe('json/plain');
  expect(JSON.parse(unb64(payloads[0]!.data))).toEqual({ reason: 'MARKER-old-key' });
  expect(payloads[1]).toEqual(plain);
});

test('a payload from an unknown key, or a body that is not payloads, is a 400 naming the key id or the field', async () => {
  const [foreign] = await new AesGcmPayloadCodec([randomKey('someone-else')]).encode([
    defaultPayloadConverter.toPayload('x'),
  ]);
  const unknown = await post(`${openUrl}/decode`, { payloads: [jsonOf(foreign!)] });
  expect(unknown.status).toBe(400);
  expect(((await unknown.json()) as { error: string }).error).toContain(
    'payload encrypted with key id "someone-else", which is not configured',
  );

  const badData = await post(`${openUrl}/decode`, {
    payloads: [{ metadata: { encoding: b64('json/plain') }, data: '%%' }],
  });
  expect(badData.status).toBe(400);
  expect(await badData.json()).toEqual({ error: 'payloads.0.data: not base64' });
  const noPayloads = await post(`${openUrl}/encode`, { items: [] });
  expect(noPayloads.status).toBe(400);
  expect(((await noPayloads.json()) as { error: string }).error).toContain('payloads: Required');
  const notJson = await post(`${openUrl}/encode`, '{"payloads": [');
  expect(notJson.status).toBe(400);
  expect(((await notJson.json()) as { error: string }).error).toMatch(/^\(body\): not valid JSON/);
});

test('CORS preflight from the Web UI origin allows POST with Content-Type, X-Namespace and Authorization, with credentials', async () => {
  for (const origin of [UI_ORIGIN, 'http://127.0.0.1:8233']) {
    const res = await fetch(`${openUrl}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    expect(res.headers.get('vary')).toContain('Origin');
  }
  // The actual request from the UI also carries the origin back, so the browser lets the UI read it.
  const plain = jsonOf(defaultPayloadConverter.toPayload(1));
  const res = await post(`${openUrl}/decode`, { payloads: [plain] }, { origin: UI_ORIGIN });
  expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(res.headers.get('access-control-allow-credentials')).toBe('true');
});

test('another origin gets no CORS grant: its preflight is refused and its responses carry no allow-origin', async () => {
  const preflight = await fetch(`${openUrl}/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(preflight.status).toBe(403);
  expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  const res = await post(`${openUrl}/decode`, { payloads: [] }, { origin: 'http://evil.example' });
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});

test('with a token, /encode and /decode need the bearer: missing or wrong is a 401 the UI can read; /healthz stays open', async () => {
  const body = { payloads: [jsonOf(defaultPayloadConverter.toPayload('x'))] };
  const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }];
  for (const headers of attempts) {
    const res = await post(`${guardedUrl}/decode`, body, { origin: UI_ORIGIN, ...headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(await res.json()).toEqual({ error: 'missing or wrong bearer token (ROLLBACK_CODEC_TOKEN)' });
  }
  expect((await post(`${guardedUrl}/encode`, body)).status).toBe(401);
  // Preflights carry no credentials: they are answered without the token.
  const preflight = await fetch(`${guardedUrl}/encode`, {
    method: 'OPTIONS',
    headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' },
  });
  expect(preflight.status).toBe(204);
  const ok = await post(`${guardedUrl}/decode`, body, { authorization: `Bearer ${TOKEN}` });
  expect(ok.status).toBe(200);
  expect((await fetch(`${guardedUrl}/healthz`)).status).toBe(200);
});

test('configuration from the environment: defaults, a list of origins, and a bad origin named', () => {
  expect(loadCodecServerConfig({})).toEqual({
    host: '127.0.0.1',
    port: 8888,
    corsOrigins: ['http://localhost:8233'],
    token: undefined,
  });
  expect(
    loadCodecServerConfig({
      ROLLBACK_CODEC_PORT: '9999',
      ROLLBACK_CODEC_CORS_ORIGIN: 'http://localhost:8233, https://temporal.example.com',
      ROLLBACK_CODEC_TOKEN: 't',
    }),
  ).toMatchObject({ port: 9999, corsOrigins: ['http://localhost:8233', 'https://temporal.example.com'], token: 't' });
  expect(() => loadCodecServerConfig({ ROLLBACK_CODEC_PORT: 'eighty' })).toThrow('ROLLBACK_CODEC_PORT');
  expect(() => loadCodecServerConfig({ ROLLBACK_CODEC_CORS_ORIGIN: 'http://localhost:8233/ui' })).toThrow(
    'ROLLBACK_CODEC_CORS_ORIGIN: "http://localhost:8233/ui" is not an origin',
  );
});

describe('the compiled codec server (npm run codec-server)', () => {
  test('serves /decode with the keys of ROLLBACK_CODEC_KEYS and wants ROLLBACK_CODEC_TOKEN', async () => {
    const server = await startCodecServerProcess({
      ROLLBACK_CODEC_KEYS: keysVariable(keys),
      ROLLBACK_CODEC_TOKEN: TOKEN,
    });
    try {
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ reason: 'MARKER-process' })]);
      const body = { payloads: [jsonOf(encrypted!)] };
      expect((await post(`${server.url}/decode`, body)).status).toBe(401);
      const res = await post(`${server.url}/decode`, body, { authorization: `Bearer ${TOKEN}` });
      expect(res.status).toBe(200);
      const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
      expect(JSON.parse(unb64(payloads[0]!.data))).toEqual({ reason: 'MARKER-process' });
      // The log says which keys, never the keys.
      expect(server.process.output()).toContain('"keyIds":["k2","k1"]');
      for (const k of keys) expect(server.process.output()).not.toContain(k.key.toString('base64'));
    } finally {
      await server.stop();
    }
  });

  test('refuses to start without keys, or with a bad key, naming the variable and not echoing the key', async () => {
    const start = async (env: NodeJS.ProcessEnv) => {
      const child = startProcess(process.execPath, [distPath('src', 'codec', 'server.js')], {
        ...NO_CODEC_ENV,
        ROLLBACK_CODEC_PORT: '0',
        ...env,
      });
      return { code: await child.exited(), output: child.output() };
    };
    const none = await start({});
    expect(none).toEqual({ code: 1, output: 'codec server: set ROLLBACK_CODEC_KEYS or ROLLBACK_CODEC_KEY_FILE\n' });
    const short = Buffer.alloc(16, 7).toString('base64');
    const bad = await start({ ROLLBACK_CODEC_KEYS: `${keysVariable(keys)},old:${short}` });
    expect(bad.code).toBe(1);
    expect(bad.output).toBe(
      'ROLLBACK_CODEC_KEYS entry 3: key "old" must be 32 bytes in base64 (got 16 bytes); generate one with `openssl rand -base64 32`\n',
    );
    expect(bad.output).not.toContain(short);
  });
});
