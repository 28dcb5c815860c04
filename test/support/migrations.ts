// Databases for databaseMigrationRollback's tests on the real PostgreSQL of test/support/postgres.ts:
// the Django fixture project migrated by Django itself, Flyway migrations applied by real Flyway,
// and a schema_migrations database for plain SQL rollback files.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Postgres } from './postgres.js';
import { repoRoot, toolPath } from './tools.js';

const execFileAsync = promisify(execFile);

export const DB_PASSWORD_ENV = 'MIGRATIONS_TEST_DB_PASSWORD';
export const djangoProject = path.join(repoRoot, 'test', 'fixtures', 'django');
export const flywayFixtures = path.join(repoRoot, 'test', 'fixtures', 'flyway');
export const sqlFixtures = path.join(repoRoot, 'test', 'fixtures', 'sql');

let databases = 0;
export function uniqueDatabase(prefix: string): string {
  databases += 1;
  return `${prefix}_${process.pid}_${databases}`;
}

export function connection(pg: Postgres, database: string) {
  return { host: pg.host, port: pg.port, database, user: pg.user, passwordEnv: DB_PASSWORD_ENV };
}

/** `python manage.py <args>` in the fixture project against `database`. */
export async function manage(pg: Postgres, database: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(toolPath('python'), ['manage.py', ...args], {
    cwd: djangoProject,
    env: {
      ...process.env,
      PGHOST: pg.host,
      PGPORT: String(pg.port),
      PGDATABASE: database,
      PGUSER: pg.user,
      PGPASSWORD: pg.password,
    },
  });
  return stdout;
}

/** A database with the fixture app migrated to 0003 and the log its unapplies write to. */
export async function djangoDatabase(pg: Postgres): Promise<string> {
  const database = uniqueDatabase('shop');
  await pg.query(`CREATE DATABASE ${database}`);
  await pg.query('CREATE TABLE fixture_unapply_log (id serial PRIMARY KEY, migration text NOT NULL)', database);
  await manage(pg, database, ['migrate', '--no-input']);
  return database;
}

export async function appliedDjango(pg: Postgres, database: string): Promise<string[]> {
  const { rows } = await pg.query("SELECT name FROM django_migrations WHERE app = 'shop' ORDER BY name", database);
  return rows.map((r: { name: string }) => r.name);
}

export async function columns(pg: Postgres, database: string, table: string): Promise<string[]> {
  const { rows } = await pg.query(
    `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
    database,
  );
  return rows.map((r: { column_name: string }) => r.column_name);
}

export async function unapplyLog(pg: Postgres, database: string): Promise<string[]> {
  const { rows } = await pg.query('SELECT migration FROM fixture_unapply_log ORDER BY id', database);
  return rows.map((r: { migration: string }) => r.migration);
}

/** Real Flyway (`.tools/bin/flyway`, flyway-core from Maven Central) on `database`. */
export async function flyway(
  pg: Postgres,
  database: string,
  command: string,
  location = 'migrations',
): Promise<string> {
  const { stdout } = await execFileAsync(
    toolPath('flyway'),
    [
      `-url=jdbc:postgresql://${pg.host}:${pg.port}/${database}`,
      `-user=${pg.user}`,
      `-locations=filesystem:${path.join(flywayFixtures, location)}`,
      command,
    ],
    { env: { ...process.env, FLYWAY_PASSWORD: pg.password } },
  );
  return stdout;
}

export async function flywayDatabase(pg: Postgres): Promise<string> {
  const database = uniqueDatabase('accounts');
  await pg.query(`CREATE DATABASE ${database}`);
  await flyway(pg, database, 'migrate');
  return database;
}

export async function flywayHistory(pg: Postgres, database: string): Promise<string[]> {
  const { rows } = await pg.query(
    'SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank',
    database,
  );
  return rows.map((r: { version: string }) => r.version);
}

/** `orders` with the column migration 20261115000000 added, and its schema_migrations. */
export async function sqlDatabase(pg: Postgres): Promise<string> {
  const database = uniqueDatabase('orders');
  await pg.query(`CREATE DATABASE ${database}`);
  await pg.query(
    `CREATE TABLE orders (id serial PRIMARY KEY, total_cents int NOT NULL, discount_cents int NOT NULL DEFAULT 0);
     INSERT INTO orders (total_cents) VALUES (1200), (3400);
     CREATE TABLE schema_migrations (version text PRIMARY KEY);
     INSERT INTO schema_migrations VALUES ('20261101000000'), ('20261115000000');`,
    database,
  );
  return database;
}

export async function schemaVersion(pg: Postgres, database: string): Promise<string> {
  const { rows } = await pg.query('SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1', database);
  return (rows[0] as { version: string }).version;
}
