// rollbackctl given a TLS certificate file that cannot be read: a usage error naming the variable
// and the path (exit 2), not "cannot reach Temporal" or a stack trace. No server is needed: the
// files are read before connecting.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distPath } from '../support/processes.js';
import { repoRoot } from '../support/tools.js';

test('an unreadable TEMPORAL_TLS_CERT stops rollbackctl with the variable and the path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ctl-tls-'));
  const key = path.join(dir, 'client.key');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\n');
  const missing = path.join(dir, 'client.pem');
  const run = spawnSync(process.execPath, [distPath('src', 'cli', 'main.js'), 'list'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      TEMPORAL_TLS_CERT: missing,
      TEMPORAL_TLS_KEY: key,
    },
  });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(`TEMPORAL_TLS_CERT: cannot read ${missing}`);
  expect(run.stderr).not.toMatch(/cannot reach Temporal|\n\s+at /);
});
