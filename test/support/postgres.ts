// A real PostgreSQL server (Debian's packages, linked into .tools/bin by `npm run tools`) in a
// temporary data directory on a free loopback port, with password authentication.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './ports.js';
import { toolPath } from './tools.js';

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, run it as the Debian package's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(): Promise<Postgres> {
  const user = 'verifier';
  const password = 'test-only-password';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollback-pg-'));
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, password);
  const owner = runAs();
  if (owner) for (const p of [dir, pwfile]) chownSync(p, owner.uid, owner.gid);
  const init = spawnSync(
    toolPath('initdb'),
    ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { encoding: 'utf8', ...owner },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const server: ChildProcess = spawn(
    toolPath('postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...owner },
  );
  let stderr = '';
  server.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const connect = (database = 'postgres') =>
    new pg.Client({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 2000 });
  await waitFor('postgres', async () => {
    if (server.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
    const client = connect();
    try {
      await client.connect();
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    async query(sql, database) {
      const client = connect(database);
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The runbook's verification tables: `critical_table` with rows, and `schema_migrations`. */
export async function seedVerificationDatabase(pgServer: Postgres, database: string): Promise<void> {
  await pgServer.query(`CREATE DATABASE ${database}`);
  await pgServer.query(
    `CREATE TABLE critical_table (id serial PRIMARY KEY, created_at timestamptz NOT NULL);
     INSERT INTO critical_table (created_at) SELECT timestamptz '2026-11-20 08:00:00+00' + n * interval '1 minute' FROM generate_series(1, 42) n;
     CREATE TABLE schema_migrations (version text PRIMARY KEY);
     INSERT INTO schema_migrations VALUES ('20261101000000'), ('20261115000000');`,
    database,
  );
}
