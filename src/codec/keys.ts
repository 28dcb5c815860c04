// Payload encryption keys from the environment: ROLLBACK_CODEC_KEYS (`id:base64,id:base64`) or
// ROLLBACK_CODEC_KEY_FILE (one `id:base64` per line, `#` comments). The first entry is the newest
// and encrypts; every entry decrypts, so a key can be rotated in without rewriting old histories.
// Errors name the variable and the entry, never the entry's text: it may be key material.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const KEYS_VARIABLE = 'ROLLBACK_CODEC_KEYS';
export const KEY_FILE_VARIABLE = 'ROLLBACK_CODEC_KEY_FILE';

/** AES-256: 32 bytes. */
export const KEY_BYTES = 32;

export interface CodecKey {
  /** Stored in each encrypted payload's metadata, so a decoder knows which key to use. */
  id: string;
  key: Buffer;
}

export class CodecKeyError extends Error {}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One `keyId:base64key` entry; messages never quote the entry. */
const keyEntry = z.string().transform((entry, ctx): CodecKey => {
  const colon = entry.indexOf(':');
  if (colon < 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected keyId:base64key' });
    return z.NEVER;
  }
  const id = entry.slice(0, colon).trim();
  const material = entry.slice(colon + 1).trim();
  if (!KEY_ID.test(id)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'the key id must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
    return z.NEVER;
  }
  const key = BASE64.test(material) ? Buffer.from(material, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `key "${id}" must be ${KEY_BYTES} bytes in base64 (${key ? `got ${key.length} bytes` : 'not base64'}); generate one with \`openssl rand -base64 32\``,
    });
    return z.NEVER;
  }
  return { id, key };
});

const codecEnv = z.object({
  [KEYS_VARIABLE]: z.string().optional(),
  [KEY_FILE_VARIABLE]: z.string().optional(),
});

interface Entry {
  text: string;
  /** "entry 2" or "line 5", for the message. */
  where: string;
}

function parseEntries(source: string, entries: Entry[]): CodecKey[] {
  const keys: CodecKey[] = [];
  for (const { text, where } of entries) {
    if (text === '') throw new CodecKeyError(`${source} ${where}: empty (expected keyId:base64key)`);
    const parsed = keyEntry.safeParse(text);
    if (!parsed.success) {
      throw new CodecKeyError(`${source} ${where}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    const earlier = keys.findIndex((k) => k.id === parsed.data.id);
    if (earlier >= 0) {
      throw new CodecKeyError(`${source} ${where}: key id "${parsed.data.id}" is used twice`);
    }
    keys.push(parsed.data);
  }
  return keys;
}

/** `id:base64,...` as in ROLLBACK_CODEC_KEYS; the first entry is the newest. */
export function parseCodecKeys(list: string, source = KEYS_VARIABLE): CodecKey[] {
  const entries = list.split(',').map((text, i) => ({ text: text.trim(), where: `entry ${i + 1}` }));
  return parseEntries(source, entries);
}

/** The lines of a key file; blank lines and `#` comments are skipped, line numbers kept. */
export function parseCodecKeyFile(text: string, source: string): CodecKey[] {
  const entries = text
    .split(/\r?\n/)
    .map((line, i) => ({ text: line.replace(/#.*$/, '').trim(), where: `line ${i + 1}` }))
    .filter((e) => e.text !== '');
  if (entries.length === 0) throw new CodecKeyError(`${source}: no keys in the file`);
  return parseEntries(source, entries);
}

/** The configured keys, newest first; undefined when neither variable is set (no encryption). */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKey[] | undefined {
  const e = codecEnv.parse(env);
  const list = e[KEYS_VARIABLE]?.trim() ?? '';
  const file = e[KEY_FILE_VARIABLE]?.trim() ?? '';
  if (list && file) {
    throw new CodecKeyError(`${KEYS_VARIABLE} and ${KEY_FILE_VARIABLE} are both set: use one`);
  }
  if (list) return parseCodecKeys(list);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CodecKeyError(`${KEY_FILE_VARIABLE}: cannot read "${file}" (${code})`);
  }
  return parseCodecKeyFile(text, `${KEY_FILE_VARIABLE} (${file})`);
}
