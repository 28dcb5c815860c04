// Inputs of the two RDS restore procedures. They share the target, the application switch, the
// verification queries and the wait settings; they differ in where the data comes from.
import { z } from 'zod';
import { isValidInstanceId } from '../rdsRestore.js';
import type { RestoreResumeState } from '../restoreProgress.js';
import { dryRun, requestContext, resourceName } from './common.js';

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

export const restoreCommonFields = {
  sourceInstanceId: instanceId,
  /** The new instance; `<source>-restored-<yyyymmddhhmm>` of the workflow's start when absent. */
  targetInstanceId: instanceId.optional(),
  instanceClass: resourceName.optional(),
  securityGroupIds: z.array(resourceName).optional(),
  subnetGroupName: resourceName.optional(),
  app: appSwitch.optional(),
  verify: verification.optional(),
  /** Overall limit of the wait for `available` (default 3 hours). */
  maxWaitSeconds: z.number().int().positive().max(86_400).default(10_800),
  /** Longest pause between two polls. */
  maxPollIntervalSeconds: z.number().int().min(1).max(300).default(30),
  /** How long one activity call may poll (heartbeating) before it reports back; 0 = one poll per call. */
  pollWindowSeconds: z.number().int().min(0).max(600).default(0),
  dryRun,
  ...requestContext,
  /** Set by the workflow itself when it continues as new during the wait; not for callers. */
  resume: z.custom<RestoreResumeState>((v) => typeof v === 'object' && v !== null, 'internal').optional(),
};

export const rdsSnapshotRestoreInput = z
  .object({
    ...restoreCommonFields,
    /** When absent, the newest available snapshot of the source instance. */
    snapshotId: resourceName.optional(),
  })
  .strict();

const isoTime = z.string().datetime({ offset: true });

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
  .strict();

export type RdsSnapshotRestoreInput = z.infer<typeof rdsSnapshotRestoreInput>;
export type RdsPointInTimeRestoreInput = z.infer<typeof rdsPointInTimeRestoreInput>;
export type RestoreCommonInput = RdsSnapshotRestoreInput | RdsPointInTimeRestoreInput;
export type AppSwitchInput = z.infer<typeof appSwitch>;
export type VerificationInput = z.infer<typeof verification>;
