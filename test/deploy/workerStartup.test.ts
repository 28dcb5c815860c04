// The compiled worker's activities (what `npm run worker` and the image load) import no AWS SDK
// until an activity needs one: the SDKs were a third of the worker's start-up (docs/bench.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/tools.js';

const script = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { createActivities } = await import('./dist/src/activities/index.js');
const { loadConfig } = await import('./dist/src/config/env.js');
const sdks = () => [...new Set(Object.keys(require.cache)
  .map((k) => /node_modules\\/(@aws-sdk\\/client-[a-z0-9-]+)\\//.exec(k)?.[1]).filter(Boolean))];
const activities = createActivities(loadConfig());
const atStart = sdks();
const yamlAtStart = Object.keys(require.cache).some((k) => k.includes('/node_modules/yaml/'));
await activities.getLambdaAlias({ functionName: 'checkout-api', alias: 'production' }).catch(() => undefined);
console.log(JSON.stringify({ names: Object.keys(activities).length, atStart, yamlAtStart, afterLambdaCall: sdks() }));
`;

test('the worker loads no AWS SDK (nor yaml, without a catalog) at start, and the Lambda SDK on the first Lambda activity', () => {
  expect(existsSync(path.join(repoRoot, 'dist', 'src', 'activities', 'index.js'))).toBe(true); // npm run build
  const run = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    // Nothing listens on port 9: the Lambda call fails at once, after loading its SDK.
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
  });
  expect(run.stderr).toBe('');
  const result = JSON.parse(run.stdout) as {
    names: number;
    atStart: string[];
    yamlAtStart: boolean;
    afterLambdaCall: string[];
  };
  expect(result.names).toBeGreaterThan(50);
  expect(result.atStart).toEqual([]);
  expect(result.yamlAtStart).toBe(false);
  expect(result.afterLambdaCall).toEqual(['@aws-sdk/client-lambda']);
});
