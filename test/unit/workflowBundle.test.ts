import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshPrebuiltBundle } from '../../src/worker/workflowBundle.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  mkdirSync(path.join(dir, 'src', 'workflows'), { recursive: true });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.ROLLBACK_PREBUILT_BUNDLE;
});

function write(relative: string, mtimeSeconds: number): string {
  const file = path.join(dir, relative);
  writeFileSync(file, '// code');
  utimesSync(file, mtimeSeconds, mtimeSeconds);
  return file;
}

test('a bundle at least as new as the compiled code is used', async () => {
  write('src/workflows/index.js', 1_000);
  const bundle = write('workflow-bundle.js', 1_000);
  expect(await freshPrebuiltBundle(bundle, path.join(dir, 'src'))).toBe(bundle);
});

test('a bundle older than any compiled file is ignored, so stale workflow code never runs', async () => {
  const bundle = write('workflow-bundle.js', 1_000);
  write('src/workflows/index.js', 900);
  write('src/workflows/incidentRollback.js', 1_001);
  expect(await freshPrebuiltBundle(bundle, path.join(dir, 'src'))).toBeUndefined();
});

test('no bundle, or ROLLBACK_PREBUILT_BUNDLE=0, means bundling at start', async () => {
  write('src/workflows/index.js', 900);
  expect(await freshPrebuiltBundle(path.join(dir, 'missing.js'), path.join(dir, 'src'))).toBeUndefined();
  const bundle = write('workflow-bundle.js', 1_000);
  process.env.ROLLBACK_PREBUILT_BUNDLE = '0';
  expect(await freshPrebuiltBundle(bundle, path.join(dir, 'src'))).toBeUndefined();
});
