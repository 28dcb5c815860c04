// The team install (docker-compose.yml, Dockerfile) is validated, not run: there is no Docker
// engine here. Debian's `docker-compose config` resolves the file without an engine, and the
// resolved file must agree with the code: the variables it sets are read, the commands are what
// `npm run build` produces and the npm scripts run, the search attributes are the incident's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  APP_SERVICES,
  composeConfig,
  composeFacts,
  composeProblems,
  dockerfileStages,
  entryProblems,
  gitIgnores,
  parseComposeOutput,
  type ComposeConfig,
} from '../support/compose.js';
import { repoRoot } from '../support/tools.js';

const exampleSettings = {
  TEMPORAL_DB_PASSWORD: 'compose-test-password',
  APP_ENV_FILE: './deploy/compose/rollback.env.example',
};
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

let resolved: ComposeConfig;

beforeAll(() => {
  const run = composeConfig(exampleSettings);
  if (run.status !== 0) throw new Error(`docker-compose config failed (${run.status}):\n${run.stderr}`);
  resolved = parseComposeOutput(run.stdout);
});

describe('docker-compose.yml, resolved by `docker-compose config` without a Docker engine', () => {
  test('has every service of the team install', () => {
    expect(Object.keys(resolved.services).sort()).toEqual(
      [
        'codec',
        'postgresql',
        'temporal',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'trigger',
        'worker',
      ].sort(),
    );
  });

  test('agrees with the code: variables, commands, search attributes, health checks, codec and UI', () => {
    expect(composeProblems(resolved, composeFacts())).toEqual([]);
  });

  test('refuses to resolve without TEMPORAL_DB_PASSWORD: no database password is committed', () => {
    const run = composeConfig({ APP_ENV_FILE: exampleSettings.APP_ENV_FILE });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('TEMPORAL_DB_PASSWORD');
  });

  test('the worker, trigger and codec server run one image, the one the Dockerfile builds', () => {
    const images = APP_SERVICES.map((name) => resolved.services[name]?.image);
    expect(new Set(images).size).toBe(1);
    for (const name of APP_SERVICES) expect(resolved.services[name]?.build).toBeDefined();
  });

  test('secrets and the application env file stay out of git and out of the image', () => {
    const raw = read('docker-compose.yml');
    const envFile = /\$\{APP_ENV_FILE:-\.\/([^}]+)\}/.exec(raw)?.[1];
    expect(envFile).toBe('deploy/compose/rollback.env');
    const secretFiles = Object.values(resolved.secrets ?? {}).map((s) => path.relative(repoRoot, s.file ?? ''));
    expect(secretFiles.length).toBeGreaterThan(0);
    const dockerIgnored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const file of ['.env', envFile!, ...secretFiles]) {
      expect({ file, gitIgnored: gitIgnores(file) }).toEqual({ file, gitIgnored: true });
      const covered = dockerIgnored.some((p) => file === p || file.startsWith(`${p}/`));
      expect({ file, dockerIgnored: covered }).toEqual({ file, dockerIgnored: true });
    }
  });

  test('the committed example settings hold no secret values', () => {
    for (const file of ['deploy/compose/example.env', 'deploy/compose/rollback.env.example']) {
      for (const line of read(file).split('\n')) {
        const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        if (m && /TOKEN|SECRET|PASSWORD|_KEY|WEBHOOK/.test(m[1]!))
          expect({ file, [m[1]!]: m[2] }).toEqual({ file, [m[1]!]: '' });
      }
    }
  });
});

describe('each consistency rule fails on a broken file', () => {
  const broken = (change: (c: ComposeConfig) => void): string[] => {
    const copy = structuredClone(resolved);
    change(copy);
    return composeProblems(copy, composeFacts());
  };

  test('a misspelled variable', () => {
    expect(broken((c) => (c.services.worker!.environment!.TEMPORAL_ADRESS = 'temporal:7233'))).toContain(
      'worker: TEMPORAL_ADRESS is not read by the code',
    );
  });

  test('a command that no npm script runs, or that the build does not produce', () => {
    expect(broken((c) => (c.services.trigger!.command = ['node', 'dist/src/trigger/mian.js']))).toEqual([
      'trigger: dist/src/trigger/mian.js is not what any package.json script runs',
      'trigger: dist/src/trigger/mian.js does not exist after `npm run build`',
    ]);
    expect(broken((c) => (c.services.worker!.command = ['npm', 'run', 'worker']))).toEqual([
      'worker: command ["npm","run","worker"] is not ["node", "<file an npm script runs>"]',
    ]);
  });

  test('a search attribute with another type than the code gives it', () => {
    const problems = broken((c) => {
      const setup = c.services['temporal-setup']!.environment!;
      setup.SEARCH_ATTRIBUTES = String(setup.SEARCH_ATTRIBUTES).replace('SlaBreached=Bool', 'SlaBreached=Keyword');
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^temporal-setup: SEARCH_ATTRIBUTES .*SlaBreached=Keyword.* differ/);
  });

  test('a long-running service without a health check, and a dependency not waited for', () => {
    expect(broken((c) => delete c.services.codec!.healthcheck)).toEqual(['codec: no health check']);
    expect(broken((c) => (c.services.worker!.depends_on = { temporal: { condition: 'service_started' } }))).toEqual([
      'worker: depends on temporal without waiting for it (condition: service_started)',
    ]);
  });

  test('a secret path the service does not mount, and a UI sent to the wrong codec port', () => {
    expect(broken((c) => (c.services.codec!.environment!.ROLLBACK_CODEC_KEY_FILE = '/run/secrets/codec_key'))).toEqual([
      'codec: ROLLBACK_CODEC_KEY_FILE=/run/secrets/codec_key but the service does not mount the secret "codec_key"',
    ]);
    expect(
      broken((c) => (c.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT = 'http://localhost:8889')),
    ).toEqual([
      "temporal-ui: TEMPORAL_CODEC_ENDPOINT http://localhost:8889 is not the codec server's published port 8888",
    ]);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages(read('Dockerfile'));
  const [build, runtime] = [stages[0]!, stages.at(-1)!];

  test('builds with npm ci and npm run build (tsc, then the prebuilt workflow bundle)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(build.lines).toContain('RUN npm ci --no-audit --no-fund');
    expect(build.lines).toContain('RUN npm run build');
  });

  test('runs with production dependencies only and the compiled code from the build stage', () => {
    expect(runtime.lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(runtime.lines).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime.lines).toContain('USER node');
  });

  test('starts the worker as `npm run worker` does, minus the build, from the prebuilt bundle', () => {
    const cmd = runtime.lines.find((l) => l.startsWith('CMD '));
    const command = JSON.parse(cmd!.slice(4)) as string[];
    expect(command).toEqual(['node', 'dist/src/worker/main.js']);
    expect(entryProblems('Dockerfile', command, composeFacts())).toEqual([]);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.worker).toBe(`npm run build && ${command.join(' ')}`);
    expect(read('dist/workflow-bundle.js').length).toBeGreaterThan(0);
  });
});

test('the codec server runs what `npm run codec-server` runs, and reads only the codec variables', () => {
  const facts = composeFacts();
  expect(entryProblems('codec', ['node', 'dist/src/codec/server.js'], facts)).toEqual([]);
  for (const v of ['ROLLBACK_CODEC_KEY_FILE', 'ROLLBACK_CODEC_PORT', 'ROLLBACK_CODEC_CORS_ORIGIN']) {
    expect(facts.variables.has(v)).toBe(true);
  }
});
