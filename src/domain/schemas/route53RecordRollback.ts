import { z } from 'zod';
import { invalidRecordValue, ROLLBACK_RECORD_TYPES } from '../route53Records.js';
import { dryRun, requestContext, resourceName } from './common.js';

export const route53RecordRollbackInput = z
  .object({
    hostedZoneId: resourceName.transform((id) => id.replace(/^\/hostedzone\//, '')),
    /** The record name, with or without the trailing dot. */
    name: resourceName,
    type: z.enum(ROLLBACK_RECORD_TYPES),
    /** The values to go back to (one for CNAME). */
    previousValues: z.array(resourceName).min(1, 'must list at least one value'),
    /** Kept from the current record set when absent (300 if the record does not exist). */
    ttl: z.number().int().min(0).max(2_147_483_647).optional(),
    inSyncTimeoutSeconds: z.number().int().positive().max(3600).default(600),
    dryRun,
    ...requestContext,
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.type === 'CNAME' && input.previousValues.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['previousValues'], message: 'a CNAME has exactly one value' });
    }
    input.previousValues.forEach((value, i) => {
      const reason = invalidRecordValue(input.type, value);
      if (reason) ctx.addIssue({ code: 'custom', path: ['previousValues', i], message: `${reason} (${input.type})` });
    });
  });

export type Route53RecordRollbackInput = z.infer<typeof route53RecordRollbackInput>;
