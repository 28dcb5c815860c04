import { z } from 'zod';
import { dryRun, procedureControls, requestContext, resourceName } from './common.js';
import { procedureVerify } from './verifyRollback.js';

/** A version as a string; numbers are accepted because people type `toVersion: 2`. */
const version = (pattern: RegExp, message: string) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().trim().regex(pattern, message));

const versionNumber = version(/^[1-9][0-9]*$/, 'must be a published version number such as "3"');

/** The dry run's `pin`: the version the alias pointed at when planned, and the planned destination. */
export const lambdaAliasPin = z
  .object({
    // An alias may point at $LATEST, so the version it is moved from may be that.
    fromVersion: version(/^(\$LATEST|[1-9][0-9]*)$/, 'must be a version such as "3"'),
    toVersion: versionNumber,
  })
  .strict();

export type LambdaAliasPin = z.infer<typeof lambdaAliasPin>;

export const lambdaAliasRollbackInput = z
  .object({
    functionName: resourceName,
    alias: resourceName.default('production'),
    /** A published version number; when absent, the version before the alias's current one. */
    toVersion: versionNumber.optional(),
    dryRun,
    ...requestContext,
    ...procedureControls,
    pin: lambdaAliasPin.optional(),
    /** Run after the alias moved (e.g. the function's errorRate from CloudWatch, its alarms). */
    ...procedureVerify,
  })
  .strict()
  .superRefine((input, ctx) => {
    // Refinements also run on fields that failed: compare only two valid versions, so a value
    // pasted into the wrong field is never quoted back.
    const valid = (v: unknown) => versionNumber.safeParse(v).success;
    if (input.pin && valid(input.toVersion) && valid(input.pin.toVersion) && input.pin.toVersion !== input.toVersion) {
      ctx.addIssue({
        code: 'custom',
        path: ['pin', 'toVersion'],
        message: `is ${input.pin.toVersion} but toVersion is ${input.toVersion}; give one destination`,
      });
    }
  });

export type LambdaAliasRollbackInput = z.infer<typeof lambdaAliasRollbackInput>;
