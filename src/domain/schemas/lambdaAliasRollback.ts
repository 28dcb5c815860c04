import { z } from 'zod';
import { dryRun, requestContext, resourceName } from './common.js';

export const lambdaAliasRollbackInput = z
  .object({
    functionName: resourceName,
    alias: resourceName.default('production'),
    /** A published version number; when absent, the version before the alias's current one. */
    toVersion: z
      .union([z.string(), z.number().int().positive()])
      .transform((v) => String(v).trim())
      .refine((v) => /^[1-9][0-9]*$/.test(v), 'must be a published version number such as "3"')
      .optional(),
    dryRun,
    ...requestContext,
  })
  .strict();

export type LambdaAliasRollbackInput = z.infer<typeof lambdaAliasRollbackInput>;
