// Inputs of the two RDS restore procedures. They share the target, the application switch, the
// verification queries and the wait settings; they differ in where the data comes from.
import { z } from 'zod';
import { isValidInstanceId } from '../rdsRestore.js';
import type { RestoreResumeState } from '../restoreProgress.js';
import { dryRun, procedureControls, requestContext, resourceName } from './common.js';
import { checkList, type CheckSpec } from './verifyRollback.js';

const instanceId = resourceName.refine(
  isValidInstanceId,
  'must be an RDS instance identifier: a letter first, then letters, digits and single hyphens, at most 63',
);

/** The Deployment whose `DATABASE_HOST` (or `env`) moves to the restored instance. */
const appSwitch = z
  .object({
    namespace: resourceName,
    deployment: resourceName,
    container: resourceName.optional(),
    env: resourceName.default('DATABASE_HOST'),
    rolloutTimeoutSeconds: z.number().int().positive().max(3600).default(600),
  })
  .strict();

const verificationQuery = z
  .object({
    check: resourceName,
    sql: resourceName,
    expect: z
      .object({
        equals: z.union([z.string(), z.number()]).optional(),
        min: z.number().optional(),
        max: z.number().optional(),
        notNull: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const verification = z
  .object({
    /** Where to connect; the restored instance's endpoint and port when absent (a tunnel, a test). */
    host: resourceName.optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: resourceName,
    user: resourceName,
    /** The worker's environment variable holding the password: the password never enters history. */
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable of the worker')
      .optional(),
    ssl: z.boolean().default(false),
    queries: z.array(verificationQuery).min(1, 'must list at least one query'),
  })
  .strict();

type VerificationQueries = z.infer<typeof verification>;

/**
 * `verify` as every procedure takes it (a list of the suite's checks, run after the switch), or
 * as the restores took it first (an object: the queries on the new instance before the switch,
 * now `verifyQueries`). Each form is parsed by its own schema, so errors name its fields.
 */
const verifyEitherForm = z.unknown().transform((value, ctx): CheckSpec[] | VerificationQueries | undefined => {
  if (value === undefined) return undefined;
  const parsed = (Array.isArray(value) ? checkList : verification).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue);
  return z.NEVER;
});

/** Moves the first form's queries to `verifyQueries`, so `verify` is always the suite's checks. */
function separateQueries<T extends { verify?: CheckSpec[] | VerificationQueries; verifyQueries?: VerificationQueries }>(
  input: T,
  ctx: z.RefinementCtx,
): Omit<T, 'verify'> & { verify?: CheckSpec[] } {
  const { verify, ...rest } = input;
  if (verify === undefined || Array.isArray(verify)) return { ...rest, ...(verify ? { verify } : {}) };
  if (input.verifyQueries !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['verify'], message: 'give the queries once, as verifyQueries' });
    return z.NEVER;
  }
  return { ...rest, verifyQueries: verify };
}

const isoTime = z.string().datetime({ offset: true });
const isoTimeWithZone = z.string().refine((v) => isoTime.safeParse(v).success, 'must be an ISO 8601 time with a zone');

/**
 * What a dry run pins and an apply restores exactly: the data (snapshot or time), the new
 * instance, and the application's DATABASE_HOST as it was (null: unset) when an app is given.
 */
export const rdsRestorePin = z
  .object({
    snapshotId: resourceName.optional(),
    restoreTime: z
      .string()
      .refine(
        (v) => v === 'latest' || isoTime.safeParse(v).success,
        'must be an ISO 8601 time with a zone, or "latest"',
      )
      .optional(),
    targetInstanceId: instanceId,
    databaseHost: z.string().nullable().optional(),
  })
  .strict();

export const restoreCommonFields = {
  sourceInstanceId: instanceId,
  /** The new instance; `<source>-restored-<yyyymmddhhmm>` of the workflow's start when absent. */
  targetInstanceId: instanceId.optional(),
  instanceClass: resourceName.optional(),
  // Network and parameter settings: each one absent is copied from the source instance.
  securityGroupIds: z.array(resourceName).min(1, 'must list at least one security group').optional(),
  subnetGroupName: resourceName.optional(),
  dbParameterGroupName: resourceName.optional(),
  optionGroupName: resourceName.optional(),
  /**
   * When the corruption was detected (ISO 8601 with a zone): only data from strictly before it is
   * restored. An incident passes its `detectedAt` unless the procedure input has its own.
   */
  before: isoTimeWithZone.optional(),
  app: appSwitch.optional(),
  /** Read-only queries on the new instance, before anything points at it. */
  verifyQueries: verification.optional(),
  /** Checks of the verification suite, after the switch (or the queries, as first accepted). */
  verify: verifyEitherForm,
  /** Overall limit of the wait for `available` (default 3 hours). */
  maxWaitSeconds: z.number().int().positive().max(86_400).default(10_800),
  /** Longest pause between two polls. */
  maxPollIntervalSeconds: z.number().int().min(1).max(300).default(30),
  /** How long one activity call may poll (heartbeating) before it reports back; 0 = one poll per call. */
  pollWindowSeconds: z.number().int().min(0).max(600).default(0),
  dryRun,
  ...requestContext,
  /** `pin` is the dry run's `pin` (rdsRestorePin); `allowMarkedTarget` is accepted and ignored: a restore overwrites nothing. */
  ...procedureControls,
  pin: rdsRestorePin.optional(),
};

/**
 * What a run that continued as new during the wait starts from: the workflow's second argument,
 * written by the workflow itself (internal, never a caller's).
 */
export const restoreResumeState = z.custom<RestoreResumeState>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  "must be the restore workflow's own resume state (internal)",
);

/**
 * Runs continued before the resume state became the second argument carry it as `input.resume`
 * (the committed histories and any run still waiting do): the workflow splits it off before the
 * public schema, which has no such field, and reads it when no second argument is given.
 */
export function splitLegacyResume(raw: unknown): { input: unknown; legacyResume?: unknown } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('resume' in raw)) return { input: raw };
  const { resume, ...input } = raw as Record<string, unknown>;
  return { input, legacyResume: resume };
}

export const rdsSnapshotRestoreInput = z
  .object({
    ...restoreCommonFields,
    /** When absent, the newest available snapshot of the source instance. */
    snapshotId: resourceName.optional(),
  })
  .strict()
  .transform(separateQueries);

export const rdsPointInTimeRestoreInput = z
  .object({
    ...restoreCommonFields,
    /** An ISO 8601 time with a zone (`2026-11-27T08:00:00Z`), or "latest" for the latest restorable time. */
    restoreTime: z
      .string()
      .refine(
        (v) => v === 'latest' || isoTime.safeParse(v).success,
        'must be an ISO 8601 time with a zone, or "latest"',
      ),
  })
  .strict()
  .transform(separateQueries);

export type RdsRestorePin = z.infer<typeof rdsRestorePin>;
export type RdsSnapshotRestoreInput = z.infer<typeof rdsSnapshotRestoreInput>;
export type RdsPointInTimeRestoreInput = z.infer<typeof rdsPointInTimeRestoreInput>;
export type RestoreCommonInput = RdsSnapshotRestoreInput | RdsPointInTimeRestoreInput;
export type AppSwitchInput = z.infer<typeof appSwitch>;
export type VerificationInput = z.infer<typeof verification>;
