// docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so their consistency
// with the tested code is checked instead: `docker-compose config` (Debian's docker-compose, which
// needs no engine) resolves the file, and composeProblems() compares the result with what the code
// reads and what `npm run build` produces. Every rule returns the problems it finds, so a test can
// show that each rule fails on a broken file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { catalogChannels, loadCatalog } from '../../src/config/catalog.js';
import { ROLLBACK_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes.js';
import { repoRoot, toolPath } from './tools.js';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  ports?: Array<string | { published?: number | string; target?: number | string }>;
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: Array<string | { target?: string }>;
}
export interface ComposeConfig {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
}

/** The services that run this repository's image, with the code that reads their environment. */
export const APP_SERVICES = ['worker', 'trigger', 'codec'] as const;

export interface ComposeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `docker-compose config` on the repository's file with the example settings, DOCKER_HOST pointing
 * nowhere: it must succeed without a Docker engine.
 */
export function composeConfig(env: Record<string, string | undefined> = {}): ComposeRun {
  const result = spawnSync(
    toolPath('docker-compose'),
    ['--env-file', 'deploy/compose/example.env', '-f', 'docker-compose.yml', 'config'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        ...env,
      },
    },
  );
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Environment variables the code reads: `env.NAME` / `process.env.NAME` / `env['NAME']`, and the
 * upper-case keys of zod schemas (src/config/env.ts, src/trigger/config.ts and their like).
 */
export function variablesReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.|\[\s*['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
    // Read through a named constant: env[KEYS_VARIABLE] with KEYS_VARIABLE = 'ROLLBACK_CODEC_KEYS'.
    for (const m of text.matchAll(/\b[A-Z_]*VARIABLE\s*=\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]!);
    if (/from 'zod'/.test(text)) {
      for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)) names.add(m[1]!);
    }
  }
  return names;
}

/** `dist/...js` files that package.json scripts run with `node`, by file. */
export function npmScriptEntries(): Map<string, string> {
  const scripts = (
    JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const entries = new Map<string, string>();
  for (const [name, command] of Object.entries(scripts)) {
    for (const m of command.matchAll(/\bnode (dist\/\S+\.js)/g)) entries.set(m[1]!, name);
  }
  return entries;
}

/** `Name=Type` as the admin-tools one-shot registers them, from src/temporal/searchAttributes.ts. */
export function expectedSearchAttributes(): string[] {
  const typeName: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool' };
  return ROLLBACK_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${typeName[key.type] ?? key.type}`);
}

/** The facts a compose file is checked against; tests may swap one to prove a rule can fail. */
export interface ComposeFacts {
  variables: Set<string>;
  npmEntries: Map<string, string>;
  searchAttributes: string[];
}

export function composeFacts(catalogFile = path.join(repoRoot, 'catalog.example.yaml')): ComposeFacts {
  const variables = variablesReadByCode();
  // A channel's URL is read from the variable its catalog entry names (urlEnv).
  for (const channel of Object.values(catalogChannels(loadCatalog(catalogFile)))) variables.add(channel.urlEnv);
  const npmEntries = npmScriptEntries();
  return { variables, npmEntries, searchAttributes: expectedSearchAttributes() };
}

/** The command a service or the Dockerfile runs must be `node <file>` of an npm script, built. */
export function entryProblems(owner: string, command: string[] | undefined, facts: ComposeFacts): string[] {
  if (!command || command.length !== 2 || command[0] !== 'node') {
    return [`${owner}: command ${JSON.stringify(command)} is not ["node", "<file an npm script runs>"]`];
  }
  const file = command[1]!;
  const problems: string[] = [];
  if (!facts.npmEntries.has(file)) problems.push(`${owner}: ${file} is not what any package.json script runs`);
  if (!existsSync(path.join(repoRoot, file))) {
    problems.push(`${owner}: ${file} does not exist after \`npm run build\``);
  }
  return problems;
}

function publishedPort(service: ComposeService, target: number): number | undefined {
  for (const port of service.ports ?? []) {
    if (typeof port === 'string') {
      const parts = port.replace(/\/\w+$/, '').split(':');
      if (Number(parts.at(-1)) === target) return Number(parts.at(-2));
    } else if (Number(port.target) === target) {
      return Number(port.published);
    }
  }
  return undefined;
}

const env = (service: ComposeService | undefined, name: string): string | undefined => {
  const value = service?.environment?.[name];
  return value === undefined || value === null ? undefined : String(value);
};

/** Every inconsistency between the resolved compose file and the code, as readable sentences. */
export function composeProblems(config: ComposeConfig, facts: ComposeFacts): string[] {
  const problems: string[] = [];
  const services = config.services;
  const oneShots = new Set(
    Object.values(services).flatMap((s) =>
      Object.entries(s.depends_on ?? {})
        .filter(([, d]) => d.condition === 'service_completed_successfully')
        .map(([name]) => name),
    ),
  );

  for (const name of APP_SERVICES) {
    const service = services[name];
    if (!service) {
      problems.push(`${name}: missing`);
      continue;
    }
    problems.push(...entryProblems(name, service.command, facts));
    for (const variable of Object.keys(service.environment ?? {})) {
      if (!facts.variables.has(variable)) problems.push(`${name}: ${variable} is not read by the code`);
    }
    // A path the service is told to read must be mounted: a secret, or a volume.
    const secrets = (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    const mounts = (service.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
    for (const [variable, raw] of Object.entries(service.environment ?? {})) {
      const value = String(raw ?? '');
      const secret = /^\/run\/secrets\/([^/]+)$/.exec(value)?.[1];
      if (secret !== undefined && !secrets.includes(secret)) {
        problems.push(`${name}: ${variable}=${value} but the service does not mount the secret "${secret}"`);
      } else if (secret !== undefined && !config.secrets?.[secret]?.file) {
        problems.push(`${name}: secret "${secret}" has no file`);
      } else if (secret === undefined && value.startsWith('/') && !mounts.includes(value)) {
        problems.push(`${name}: ${variable}=${value} but nothing is mounted there`);
      }
    }
  }

  // The worker and the trigger talk to the compose server, namespace and task queue.
  const setup = services['temporal-setup'];
  for (const variable of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE']) {
    if (env(services.worker, variable) !== env(services.trigger, variable)) {
      problems.push(`worker and trigger: different ${variable}`);
    }
  }
  if (env(services.worker, 'TEMPORAL_ADDRESS') !== 'temporal:7233') {
    problems.push('worker: TEMPORAL_ADDRESS is not the compose server (temporal:7233)');
  }
  if (env(services.worker, 'TEMPORAL_NAMESPACE') !== env(setup, 'TEMPORAL_NAMESPACE')) {
    problems.push('worker: TEMPORAL_NAMESPACE is not the namespace temporal-setup creates');
  }

  // The search attributes the incident sets must be the ones registered.
  const registered = (env(setup, 'SEARCH_ATTRIBUTES') ?? '').split(/\s+/).filter(Boolean);
  if (JSON.stringify([...registered].sort()) !== JSON.stringify([...facts.searchAttributes].sort())) {
    problems.push(
      `temporal-setup: SEARCH_ATTRIBUTES ${registered.join(' ')} differ from the code's ${facts.searchAttributes.join(' ')}`,
    );
  }

  // The Web UI sends the browser to the codec server, which accepts the UI's origin only.
  const ui = services['temporal-ui'];
  const codec = services.codec;
  const codecUrl = env(ui, 'TEMPORAL_CODEC_ENDPOINT');
  const codecPort = codec ? publishedPort(codec, Number(env(codec, 'ROLLBACK_CODEC_PORT') ?? 8888)) : undefined;
  if (!codecUrl || new URL(codecUrl).port !== String(codecPort)) {
    problems.push(
      `temporal-ui: TEMPORAL_CODEC_ENDPOINT ${codecUrl} is not the codec server's published port ${codecPort}`,
    );
  }
  const uiOrigin = env(ui, 'TEMPORAL_CORS_ORIGINS');
  if (env(codec, 'ROLLBACK_CODEC_CORS_ORIGIN') !== uiOrigin) {
    problems.push(`codec: ROLLBACK_CODEC_CORS_ORIGIN is not the Web UI's origin ${uiOrigin}`);
  }
  if (ui && uiOrigin && new URL(uiOrigin).port !== String(publishedPort(ui, 8080))) {
    problems.push(`temporal-ui: its origin ${uiOrigin} is not its published port`);
  }

  // Long-running services say when they are ready; every dependency waits on a condition.
  for (const [name, service] of Object.entries(services)) {
    const test = service.healthcheck?.test;
    if (!oneShots.has(name) && (service.healthcheck?.disable || !test || test.length === 0)) {
      problems.push(`${name}: no health check`);
    }
    if (oneShots.has(name) && (service.restart === 'always' || service.restart === 'unless-stopped')) {
      problems.push(`${name}: a one-shot must not restart after it completes (restart: ${service.restart})`);
    }
    for (const [dependency, d] of Object.entries(service.depends_on ?? {})) {
      if (d.condition === 'service_healthy' && !services[dependency]?.healthcheck?.test) {
        problems.push(`${name}: waits for ${dependency} to be healthy, which has no health check`);
      } else if (d.condition !== 'service_healthy' && d.condition !== 'service_completed_successfully') {
        problems.push(`${name}: depends on ${dependency} without waiting for it (condition: ${d.condition})`);
      }
    }
  }
  return problems;
}

/** The Dockerfile's stages: each `FROM ... AS name` with its instructions. */
export function dockerfileStages(text: string): Array<{ name: string; lines: string[] }> {
  const stages: Array<{ name: string; lines: string[] }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? String(stages.length), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** The ignore files must keep every secret of the compose install out of git and the image. */
export function gitIgnores(file: string): boolean {
  return spawnSync('git', ['check-ignore', '-q', '--no-index', file], { cwd: repoRoot }).status === 0;
}

export function parseComposeOutput(stdout: string): ComposeConfig {
  return parse(stdout, { merge: true }) as ComposeConfig;
}
