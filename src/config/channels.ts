// Notification channels by name. A Slack or webhook URL is a credential, so incidents name a
// channel ("payments-slack") and the worker resolves it from its own configuration: the JSON map
// in ROLLBACK_CHANNELS, or the file named by ROLLBACK_CHANNELS_FILE, each entry
// `{ "type": "slack" | "webhook", "urlEnv": "VARIABLE_HOLDING_THE_URL" }` (the service catalog's
// `channels:` map, DESIGN.md 5a). The channel `log` (the worker's log) is built in.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../domain/validation.js';
import { CatalogError, catalogChannels, loadCatalog } from './catalog.js';

export interface ResolvedChannel {
  name: string;
  type: 'slack' | 'webhook' | 'log';
  /** Absent for `log`. Never logged, returned or put in a workflow's history. */
  url?: string;
}

export type ChannelDirectory = ReadonlyMap<string, ResolvedChannel>;

export const BUILT_IN_CHANNELS = ['log'] as const;

const entry = z
  .object({
    type: z.enum(['slack', 'webhook']),
    urlEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must name an environment variable'),
  })
  .strict();
const channelMap = z.record(entry);

export class ChannelConfigError extends Error {}

/**
 * Reads and resolves the channel map; a missing variable or a bad entry fails naming it. With
 * ROLLBACK_CATALOG set, the catalog's `channels:` come first (the trigger reads the same file);
 * ROLLBACK_CHANNELS / ROLLBACK_CHANNELS_FILE may add to them, not redefine them.
 */
export function loadChannels(env: NodeJS.ProcessEnv): ChannelDirectory {
  const directory = new Map<string, ResolvedChannel>([['log', { name: 'log', type: 'log' }]]);
  if (env.ROLLBACK_CATALOG) {
    let definitions: Record<string, z.infer<typeof entry>>;
    try {
      definitions = catalogChannels(loadCatalog(env.ROLLBACK_CATALOG));
    } catch (error) {
      if (error instanceof CatalogError) throw new ChannelConfigError(`ROLLBACK_CATALOG: ${error.message}`);
      throw error;
    }
    addChannels(directory, definitions, `ROLLBACK_CATALOG (${env.ROLLBACK_CATALOG})`, env);
  }
  let text = env.ROLLBACK_CHANNELS;
  let from = 'ROLLBACK_CHANNELS';
  if (!text && env.ROLLBACK_CHANNELS_FILE) {
    from = `ROLLBACK_CHANNELS_FILE (${env.ROLLBACK_CHANNELS_FILE})`;
    try {
      text = readFileSync(env.ROLLBACK_CHANNELS_FILE, 'utf8');
    } catch (error) {
      throw new ChannelConfigError(`${from}: cannot read: ${(error as Error).message}`);
    }
  }
  if (!text) return directory;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ChannelConfigError(`${from}: not JSON: expected {"name": {"type": "slack", "urlEnv": "VAR"}}`);
  }
  const parsed = channelMap.safeParse(raw);
  if (!parsed.success) throw new ChannelConfigError(`${from}: ${describeZodError(parsed.error)}`);
  addChannels(directory, parsed.data, from, env);
  return directory;
}

function addChannels(
  directory: Map<string, ResolvedChannel>,
  definitions: Record<string, z.infer<typeof entry>>,
  from: string,
  env: NodeJS.ProcessEnv,
): void {
  for (const [name, c] of Object.entries(definitions)) {
    if (name === 'log') throw new ChannelConfigError(`${from}: "log" is built in and cannot be redefined`);
    if (directory.has(name)) throw new ChannelConfigError(`${from}: channel "${name}" is already defined`);
    const url = env[c.urlEnv];
    if (!url || !/^https?:\/\//.test(url)) {
      throw new ChannelConfigError(`${from}: channel "${name}": ${c.urlEnv} must hold an http(s) URL`);
    }
    directory.set(name, { name, type: c.type, url });
  }
}
