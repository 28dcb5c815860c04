// Input of databaseMigrationRollback (runbook "Database Migration Rollback" and "Database Rollback
// Conflicts"): one of three frameworks, each with the database it reads and writes. The password
// is never in the input: `passwordEnv` names the worker's environment variable that holds it.
import { z } from 'zod';
import { dryRun, requestContext, resourceName } from './common.js';
import { procedureVerify } from './verifyRollback.js';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, such as ORDERS_DB_PASSWORD');

/** An SQL identifier we put into statements ourselves: plain names only, nothing to quote. */
const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case SQL name such as "public"');

/** A Flyway version ("3", "1.2", "2026_11_01"); versions compare part by part, as Flyway's do. */
const flywayVersion = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z
    .string()
    .trim()
    .regex(/^[0-9]+([._][0-9]+)*$/, 'must be a Flyway version such as "3" or "1.2"'),
);

const connection = {
  host: resourceName,
  port: z.number().int().min(1).max(65535).default(5432),
  database: resourceName,
  user: resourceName,
  /** The worker's environment variable holding the password; none for trust/peer authentication. */
  passwordEnv: envName.optional(),
  ssl: z.boolean().default(false),
};

/** The dry run's `pin`: where the schema was, where it goes, and what is unapplied on the way. */
export const migrationPin = z
  .object({
    from: z.string(),
    to: z.string(),
    unapply: z.array(z.string()),
    /** sql: the SHA-256 of the file the plan was made with. */
    fileSha256: z.string().optional(),
  })
  .strict();

export type MigrationPin = z.infer<typeof migrationPin>;

const common = {
  ...connection,
  dryRun,
  ...requestContext,
  ...procedureVerify,
  pin: migrationPin.optional(),
  /**
   * Runs the rollback in a transaction that is always rolled back, while planning: it finds a
   * rollback that would fail, and Database Rollback Conflicts, before anything is changed.
   */
  trial: z.boolean().default(true),
  /** How long a trial or apply waits for a table lock before it gives up. */
  lockTimeoutSeconds: z.number().positive().max(600).default(10),
  /** How long the repair of a conflict waits for `confirm` before the procedure fails. */
  confirmationTimeoutSeconds: z.number().int().positive().default(900),
  /** Overall limit of one apply. */
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(6 * 3600)
    .default(1800),
};

const podTarget = z
  .object({
    namespace: resourceName,
    deployment: resourceName,
    container: resourceName.optional(),
  })
  .strict();

const django = z
  .object({
    framework: z.literal('django'),
    /** The Django app label (`python manage.py migrate <app> <previous-migration>`). */
    app: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Django app label such as "shop"'),
    /** The migration to go back to ("0002_order_status", "0002", or "zero"); default: the one before the app's newest applied. */
    toMigration: z
      .string()
      .regex(/^(zero|[A-Za-z0-9_]+)$/, 'must be a migration name such as "0002_order_status", or "zero"')
      .optional(),
    /** Run `manage.py` here, on the worker (the project's directory). */
    workingDirectory: z.string().min(1).optional(),
    /** Or in a pod of this Deployment, as `kubectl exec` does. */
    pod: podTarget.optional(),
    python: z.string().min(1).default('python'),
    manage: z.string().min(1).default('manage.py'),
  })
  .strict();

const flyway = z
  .object({
    framework: z.literal('flyway'),
    /** The folder (on the worker) holding the U<version>__*.sql undo scripts. */
    scriptsDirectory: z.string().min(1),
    /** Undo every version above this one; default: the newest applied version only (`flyway undo`). */
    toVersion: flywayVersion.optional(),
    schema: identifier.default('public'),
    table: identifier.default('flyway_schema_history'),
  })
  .strict();

const sql = z
  .object({
    framework: z.literal('sql'),
    /** The rollback file (on the worker), run as `psql -v ON_ERROR_STOP=1 --single-transaction -f`. */
    file: z.string().min(1),
    /** The schema version the file leaves (its own `DELETE FROM schema_migrations ...`). */
    toVersion: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().trim().min(1)),
    /** Where the current version is read: `SELECT <column> FROM <table> ORDER BY <column> DESC LIMIT 1`. */
    versionTable: identifier.default('schema_migrations'),
    versionColumn: identifier.default('version'),
  })
  .strict();

export const databaseMigrationRollbackInput = z
  .discriminatedUnion('framework', [django.extend(common), flyway.extend(common), sql.extend(common)])
  .superRefine((input, ctx) => {
    if (input.framework === 'django' && (input.workingDirectory === undefined) === (input.pod === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['workingDirectory'],
        message:
          'give either workingDirectory (run manage.py on the worker) or pod (kubectl exec), not both or neither',
      });
    }
  });

export type DatabaseMigrationRollbackInput = z.infer<typeof databaseMigrationRollbackInput>;
export type DjangoRollbackInput = Extract<DatabaseMigrationRollbackInput, { framework: 'django' }>;
export type FlywayRollbackInput = Extract<DatabaseMigrationRollbackInput, { framework: 'flyway' }>;
export type SqlRollbackInput = Extract<DatabaseMigrationRollbackInput, { framework: 'sql' }>;

/** Compares Flyway versions part by part ("1.10" > "1.9"); "_" separates parts as "." does. */
export function compareFlywayVersions(a: string, b: string): number {
  const pa = a.split(/[._]/).map(Number);
  const pb = b.split(/[._]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Why an apply of `pin` must not go on (TargetChanged), or undefined when it may: the schema is
 * where the plan found it, already at its destination (a repeated apply), or, for Django, part of
 * the way there (a run whose worker died after unapplying some migrations).
 */
export function pinMismatch(
  framework: DatabaseMigrationRollbackInput['framework'],
  pin: MigrationPin,
  current: string,
  fileSha256?: string,
): string | undefined {
  const onTheWay = framework === 'django' && pin.unapply.includes(current);
  if (current !== pin.from && current !== pin.to && !onTheWay) {
    return `is at ${current}, not the planned ${pin.from} (plan: ${pin.from} to ${pin.to}); plan again`;
  }
  if (pin.fileSha256 && fileSha256 && pin.fileSha256 !== fileSha256 && current !== pin.to) {
    return `has a rollback file that changed since the plan (sha256 ${fileSha256.slice(0, 12)}, planned ${pin.fileSha256.slice(0, 12)}); plan again`;
  }
  return undefined;
}

/** A migration the table lists as applied whose schema is not there (Database Rollback Conflicts). */
export interface MigrationConflict {
  name: string;
  /** PostgreSQL's own words: `column "discount" of relation "shop_order" does not exist`. */
  reason: string;
}

/** What planMigrationRollback reads: the version now, the destination, and what is unapplied. */
export interface MigrationPlan {
  framework: DatabaseMigrationRollbackInput['framework'];
  /** The schema version now: "shop.0003_order_discount", "3", "20261115000000". */
  current: string;
  /** The version the rollback leaves. */
  target: string;
  /** What is unapplied, in order: Django migrations, Flyway versions, or the SQL file. */
  unapply: string[];
  conflicts: MigrationConflict[];
  /** The repair of those conflicts, as it would run (in one transaction). */
  repairSql: string[];
  trial: 'passed' | 'skipped' | 'nothing to roll back';
  fileSha256?: string;
}
