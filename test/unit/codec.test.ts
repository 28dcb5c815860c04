// The payload codec and its keys: AES-256-GCM round trips through the SDK's data converter,
// rotation (the newest key encrypts, every key decrypts), clear failures for an unknown key id or
// an altered payload, and key configuration errors that name the variable and never echo a key.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  CodecKeyError,
  dataConverterFromEnv,
  loadCodecKeys,
  rollbackDataConverter,
  type CodecKey,
} from '../../src/codec/index.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const entry = (k: CodecKey) => `${k.id}:${k.key.toString('base64')}`;
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

const input = { functionName: 'orders-api', reason: 'errors after release 3 SECRET-MARKER-42', nested: [1, null] };

// What the SDK does with a data converter: the payload converter, then the codecs.
const codecOf = (keys: CodecKey[]) => rollbackDataConverter(keys).payloadCodecs![0]!;

async function encodeWith(keys: CodecKey[], value: unknown): Promise<Payload[]> {
  return codecOf(keys).encode([defaultPayloadConverter.toPayload(value)]);
}

async function decodeWith(keys: CodecKey[], payloads: Payload[]): Promise<unknown> {
  const [decoded] = await codecOf(keys).decode(payloads);
  return defaultPayloadConverter.fromPayload(decoded!);
}

describe('AES-256-GCM payload codec', () => {
  test('a value round-trips through the codec, and the stored bytes hold no plaintext', async () => {
    const k1 = key('k1');
    const payloads = await encodeWith([k1], input);
    expect(payloads).toHaveLength(1);
    const [payload] = payloads;
    expect(utf8(payload!.metadata!.encoding)).toBe('binary/encrypted');
    expect(utf8(payload!.metadata!['encryption-key-id'])).toBe('k1');
    expect(Object.keys(payload!.metadata!).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(Buffer.from(payload!.data!).includes('SECRET-MARKER-42')).toBe(false);
    expect(Buffer.from(payload!.data!).includes('json/plain')).toBe(false);
    expect(await decodeWith([k1], payloads)).toEqual(input);
  });

  test('each payload gets its own IV: the same value encrypts to different bytes', async () => {
    const k1 = key('k1');
    const [a] = await encodeWith([k1], input);
    const [b] = await encodeWith([k1], input);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  test('rotation: data encrypted with the old key decodes after a new key is added first; new data uses the new key', async () => {
    const old = key('2025-01');
    const fresh = key('2026-06');
    const before = await encodeWith([old], input);
    const rotated = [fresh, old];
    expect(await decodeWith(rotated, before)).toEqual(input);
    const after = await encodeWith(rotated, input);
    expect(utf8(after[0]!.metadata!['encryption-key-id'])).toBe('2026-06');
    expect(await decodeWith(rotated, after)).toEqual(input);
  });

  test('a payload encrypted with a key that is not configured fails naming its key id', async () => {
    const retired = key('retired-2024');
    const payloads = await encodeWith([retired], input);
    await expect(decodeWith([key('current')], payloads)).rejects.toThrow(
      'payload encrypted with key id "retired-2024", which is not configured (ROLLBACK_CODEC_KEYS or ROLLBACK_CODEC_KEY_FILE)',
    );
  });

  test('an altered payload, or a key id swapped in its metadata, fails authentication', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const [payload] = await encodeWith([k1], input);
    const flipped = Buffer.from(payload!.data!);
    flipped[20] = flipped[20]! ^ 0x01;
    await expect(decodeWith([k1], [{ ...payload, data: flipped }])).rejects.toThrow(
      'payload encrypted with key id "k1" failed authentication',
    );
    const relabelled = { ...payload, metadata: { ...payload!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await expect(decodeWith([k1, k2], [relabelled])).rejects.toThrow(
      'payload encrypted with key id "k2" failed authentication',
    );
    const truncated = { ...payload, data: Buffer.from(payload!.data!).subarray(0, 20) };
    await expect(decodeWith([k1], [truncated])).rejects.toThrow('payload encrypted with key id "k1" is truncated');
  });

  test('payloads that were never encrypted pass through decode: old histories still read', async () => {
    const plain = defaultPayloadConverter.toPayload(input);
    expect(await decodeWith([key('k1')], [plain])).toEqual(input);
    const codec = new AesGcmPayloadCodec([key('k1')]);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('the codec never shows its keys when logged or serialized', () => {
    const k1 = key('k1');
    const codec = new AesGcmPayloadCodec([k1]);
    const shown = `${JSON.stringify(codec)} ${JSON.stringify(rollbackDataConverter([k1]))}`;
    expect(shown).not.toContain(k1.key.toString('base64'));
    expect(shown).not.toContain(k1.key.toString('hex'));
    expect(codec.keyId).toBe('k1');
  });
});

describe('keys from the environment', () => {
  test('neither variable set (or empty): no encryption', () => {
    expect(loadCodecKeys({})).toBeUndefined();
    expect(dataConverterFromEnv({ ROLLBACK_CODEC_KEYS: '  ' })).toBeUndefined();
    expect(loadConfig({}).dataConverter).toBeUndefined();
  });

  test('ROLLBACK_CODEC_KEYS: comma-separated keyId:base64key, first is newest', () => {
    const [a, b] = [key('new'), key('old')];
    const keys = loadCodecKeys({ ROLLBACK_CODEC_KEYS: ` ${entry(a)} , ${entry(b)} ` });
    expect(keys?.map((k) => k.id)).toEqual(['new', 'old']);
    expect(keys?.[1]?.key.equals(b.key)).toBe(true);
    expect(loadConfig({ ROLLBACK_CODEC_KEYS: entry(a) }).dataConverter?.payloadCodecs).toHaveLength(1);
  });

  test('ROLLBACK_CODEC_KEY_FILE: one key per line, # comments and blank lines skipped', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'codec-keys-'));
    try {
      const [a, b] = [key('new'), key('old')];
      const file = path.join(dir, 'keys');
      writeFileSync(file, `# newest first\n${entry(a)}\n\n${entry(b)}  # retired in June\n`);
      expect(loadCodecKeys({ ROLLBACK_CODEC_KEY_FILE: file })?.map((k) => k.id)).toEqual(['new', 'old']);

      writeFileSync(file, `# header\n${entry(a)}\nnot-a-key\n`);
      expect(() => loadCodecKeys({ ROLLBACK_CODEC_KEY_FILE: file })).toThrow(
        `ROLLBACK_CODEC_KEY_FILE (${file}) line 3: expected keyId:base64key`,
      );
      writeFileSync(file, '# nothing yet\n');
      expect(() => loadCodecKeys({ ROLLBACK_CODEC_KEY_FILE: file })).toThrow(
        `ROLLBACK_CODEC_KEY_FILE (${file}): no keys in the file`,
      );
      const missing = path.join(dir, 'missing');
      expect(() => loadCodecKeys({ ROLLBACK_CODEC_KEY_FILE: missing })).toThrow(
        `ROLLBACK_CODEC_KEY_FILE: cannot read "${missing}" (ENOENT)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['a key without an id', (k: string) => `k1:${k},${k}`, 'ROLLBACK_CODEC_KEYS entry 2: expected keyId:base64key'],
    [
      'a 16-byte key',
      () => `k1:${randomBytes(16).toString('base64')}`,
      'entry 1: key "k1" must be 32 bytes in base64 (got 16 bytes)',
    ],
    [
      'a key that is not base64',
      (k: string) => `k1:${k.slice(0, -4)}!!!!`,
      'entry 1: key "k1" must be 32 bytes in base64 (not base64)',
    ],
    ['a bad key id', (k: string) => `k 1:${k}`, 'ROLLBACK_CODEC_KEYS entry 1: the key id must be 1-64 letters'],
    ['a repeated key id', (k: string) => `k1:${k},k1:${k}`, 'ROLLBACK_CODEC_KEYS entry 2: key id "k1" is used twice'],
    ['an empty entry', (k: string) => `k1:${k},,`, 'ROLLBACK_CODEC_KEYS entry 2: empty (expected keyId:base64key)'],
  ])('%s is refused naming the variable and the entry, without echoing the key', (_name, make, message) => {
    const material = randomBytes(32).toString('base64');
    const value = make(material);
    let error: unknown;
    try {
      loadCodecKeys({ ROLLBACK_CODEC_KEYS: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecKeyError);
    const text = (error as Error).message;
    expect(text).toContain(message);
    expect(text).not.toContain(material);
    expect(text).not.toContain(material.slice(0, 12));
    // Through the process configuration: the same message, as a ConfigError the entry points print.
    expect(() => loadConfig({ ROLLBACK_CODEC_KEYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLLBACK_CODEC_KEYS: value })).toThrow(`invalid configuration: ${text}`);
  });

  test('both variables set is refused', () => {
    expect(() => loadCodecKeys({ ROLLBACK_CODEC_KEYS: entry(key('a')), ROLLBACK_CODEC_KEY_FILE: '/etc/keys' })).toThrow(
      'ROLLBACK_CODEC_KEYS and ROLLBACK_CODEC_KEY_FILE are both set: use one',
    );
  });
});
