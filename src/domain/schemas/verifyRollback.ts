// The checks of the verification suite (issue 12, docs/verification.md): one object per check,
// its name in `check` and its own fields beside it. Every check also takes how long it may keep
// trying (`timeoutSeconds`), how often (`intervalSeconds`) and how many passing readings in a row
// it needs (`consecutive`). Defaults are in the table of docs/verification.md.
import { z } from 'zod';
import { resourceName } from './common.js';

const url = z.string().url('must be a URL');
const positive = z.number().positive('must be more than 0');
const count = z.number().int('must be a whole number').positive('must be at least 1');
const isoTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable (e.g. ORDERS_DB_PASSWORD)');

/** Timing shared by every check; `consecutive` defaults per check (see `withTiming`). */
function withTiming<C extends string, T extends z.ZodRawShape>(check: C, shape: T, defaults: { consecutive: number }) {
  return z
    .object({
      check: z.literal(check),
      ...shape,
      /** Keep taking readings for at most this long, then give the verdict of what was read. */
      timeoutSeconds: positive.max(6 * 3600).default(300),
      /** Pause between readings. */
      intervalSeconds: positive.max(3600).default(10),
      /** Passing readings in a row needed to pass. */
      consecutive: count.max(100).default(defaults.consecutive),
    })
    .strict();
}

/** Where a Prometheus instant query goes: the server's base URL and the PromQL. */
const prometheusSource = z
  .object({ type: z.literal('prometheus'), url, query: z.string().trim().min(1, 'must be a PromQL query') })
  .strict();

/** One CloudWatch GetMetricData query: a metric, or metric math over the others' ids. */
const metricQuery = z
  .object({
    id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'must start with a lowercase letter (CloudWatch query id)'),
    expression: z.string().min(1).optional(),
    metric: z
      .object({
        namespace: z.string().min(1),
        metricName: z.string().min(1),
        dimensions: z.record(z.string()).default({}),
        stat: z.string().default('Sum'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((q) => (q.expression === undefined) !== (q.metric === undefined), 'give either expression or metric');

export const httpHealthCheck = withTiming(
  'httpHealth',
  {
    url,
    /** Each request's own limit. */
    requestTimeoutMs: positive.max(60_000).default(5000),
  },
  { consecutive: 3 },
);

export const errorRateCheck = withTiming(
  'errorRate',
  {
    source: z.discriminatedUnion('type', [
      z.object({ type: z.literal('healthUrl'), url }).strict(),
      prometheusSource,
      z
        .object({
          type: z.literal('cloudwatch'),
          queries: z.array(metricQuery).min(1, 'must list at least one query'),
          /** The query whose value is the error rate in percent; the last one when not given. */
          resultId: z.string().optional(),
          periodSeconds: count.default(60),
          /** How far back to look for the newest datapoint. */
          lookbackMinutes: positive.default(10),
        })
        .strict(),
    ]),
    /** Passing means below this percentage. */
    maxPct: z.number().min(0).max(100).default(1),
  },
  { consecutive: 3 },
);

export const latencyCheck = withTiming(
  'latency',
  {
    source: z.discriminatedUnion('type', [
      z.object({ type: z.literal('requests'), url, requests: count.max(1000).default(20) }).strict(),
      prometheusSource,
    ]),
    /** Which quantile of the K requests is judged (a Prometheus query gives its own). */
    percentile: z.enum(['p50', 'p95', 'p99']).default('p95'),
    maxMs: positive.optional(),
    /** The latency before the incident: passing means at most `maxIncreasePct` above it. */
    baselineMs: positive.optional(),
    maxIncreasePct: z.number().min(0).default(20),
  },
  { consecutive: 1 },
).refine((c) => c.maxMs !== undefined || c.baselineMs !== undefined, {
  message: 'give maxMs or baselineMs',
  path: ['maxMs'],
});

const deploymentRef = { namespace: resourceName, deployment: resourceName };

export const podStatusCheck = withTiming(
  'podStatus',
  { ...deploymentRef, maxRestarts: z.number().int().min(0).optional() },
  { consecutive: 1 },
);

export const logErrorsCheck = withTiming(
  'logErrors',
  {
    ...deploymentRef,
    /** Only log lines after this time (the rollback); the last `sinceMinutes` when not given. */
    since: isoTime.optional(),
    sinceMinutes: positive.default(10),
    /** Case-insensitive, as the runbook's `grep -i error`. */
    pattern: z.string().min(1).default('error'),
    maxErrors: z.number().int().min(0).default(0),
    container: z.string().optional(),
  },
  { consecutive: 1 },
);

export const cloudwatchAlarmsCheck = withTiming(
  'cloudwatchAlarms',
  { namePrefix: z.string().min(1).optional(), tags: z.record(z.string()).optional() },
  { consecutive: 1 },
).refine((c) => c.namePrefix !== undefined || (c.tags && Object.keys(c.tags).length > 0), {
  message: "give namePrefix or tags: every alarm of the account is not this service's",
  path: ['namePrefix'],
});

const expectation = z
  .object({
    equals: z.union([z.string(), z.number()]).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    notNull: z.boolean().optional(),
  })
  .strict();

export const databaseIntegrityCheck = withTiming(
  'databaseIntegrity',
  {
    host: resourceName,
    port: z.number().int().positive().default(5432),
    database: resourceName,
    user: resourceName,
    /** The worker's environment variable holding the password; the password never travels. */
    passwordEnv: envName.optional(),
    ssl: z.boolean().default(false),
    /** The runbook's three queries; `false` runs only `queries`. */
    runbookQueries: z.boolean().default(true),
    table: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, 'must be a table name')
      .default('critical_table'),
    createdAtColumn: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a column name')
      .default('created_at'),
    migrationsTable: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, 'must be a table name')
      .default('schema_migrations'),
    minRows: z.number().int().min(0).default(1),
    /** The newest row must be at most this old; not checked when not given. */
    maxAgeMinutes: positive.optional(),
    /** The schema version the rollback should leave; any version when not given. */
    schemaVersion: z.string().optional(),
    queries: z
      .array(z.object({ name: resourceName, sql: z.string().trim().min(1), expect: expectation.optional() }).strict())
      .default([]),
  },
  { consecutive: 1 },
);

export const replicationLagCheck = withTiming(
  'replicationLag',
  {
    /** The read replicas (DB instance identifiers). */
    replicas: z.array(resourceName).min(1, 'must name at least one replica'),
    maxSeconds: z.number().min(0).default(30),
    lookbackMinutes: positive.default(10),
  },
  { consecutive: 1 },
);

export const dnsRecordCheck = withTiming(
  'dnsRecord',
  {
    hostedZoneId: resourceName,
    name: resourceName,
    type: z.enum(['A', 'AAAA', 'CNAME']).default('A'),
    /** The values the record must answer after the rollback. */
    values: z.array(z.string().min(1)).min(1, 'must list the restored values'),
    /** When the change was made, and the TTL the resolvers had cached before it. */
    changedAt: isoTime,
    previousTtlSeconds: z.number().int().min(0),
  },
  { consecutive: 1 },
);

export const terraformPlanCleanCheck = withTiming(
  'terraformPlanClean',
  { workingDirectory: resourceName, varFiles: z.array(z.string()).default([]) },
  { consecutive: 1 },
);

export const checkSpec = z.union([
  httpHealthCheck,
  errorRateCheck,
  latencyCheck,
  podStatusCheck,
  logErrorsCheck,
  cloudwatchAlarmsCheck,
  databaseIntegrityCheck,
  replicationLagCheck,
  dnsRecordCheck,
  terraformPlanCleanCheck,
]);

export const CHECK_NAMES = [
  'httpHealth',
  'errorRate',
  'latency',
  'podStatus',
  'logErrors',
  'cloudwatchAlarms',
  'databaseIntegrity',
  'replicationLag',
  'dnsRecord',
  'terraformPlanClean',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/**
 * A check as given: parsed by its own schema, chosen by `check`, so an error names the field of
 * that check ("checks.1.url: must be a URL") rather than every member of the union.
 */
export const checkInput = z
  .object({ check: z.enum(CHECK_NAMES, { message: `must be one of ${CHECK_NAMES.join(', ')}` }) })
  .passthrough()
  .transform((raw, ctx) => {
    const schema = CHECK_SCHEMAS[raw.check];
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data as CheckSpec;
    for (const issue of parsed.error.issues) ctx.addIssue(issue);
    return z.NEVER;
  });

export type CheckSpec = z.infer<typeof checkSpec>;
export type CheckOf<N extends CheckName> = Extract<CheckSpec, { check: N }>;

const CHECK_SCHEMAS: Record<CheckName, z.ZodTypeAny> = {
  httpHealth: httpHealthCheck,
  errorRate: errorRateCheck,
  latency: latencyCheck,
  podStatus: podStatusCheck,
  logErrors: logErrorsCheck,
  cloudwatchAlarms: cloudwatchAlarmsCheck,
  databaseIntegrity: databaseIntegrityCheck,
  replicationLag: replicationLagCheck,
  dnsRecord: dnsRecordCheck,
  terraformPlanClean: terraformPlanCleanCheck,
};

export const checkList = z.array(checkInput);

/**
 * The field every procedure takes: checks run after the change, besides the procedure's natural
 * ones (docs/verification.md, "Where it runs"), as one verifyRollback child.
 */
export const procedureVerify = {
  /** Checks of the verification suite to run after the change (e.g. an errorRate, the alarms). */
  verify: checkList.optional(),
};

export const verifyRollbackInput = z
  .object({
    checks: checkList.min(1, 'must list at least one check'),
    reason: z.string().optional(),
    requestedBy: z.string().optional(),
  })
  .strict();

export type VerifyRollbackInput = z.infer<typeof verifyRollbackInput>;
