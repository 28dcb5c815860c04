import { z } from 'zod';
import { invalidRecordValue, ROLLBACK_RECORD_TYPES, sameRecordValues } from '../route53Records.js';
import { dryRun, procedureControls, requestContext, resourceName } from './common.js';
import { procedureVerify } from './verifyRollback.js';

const ttl = z.number().int().min(0).max(2_147_483_647);
const recordValues = z.object({ values: z.array(resourceName).min(1, 'must list at least one value'), ttl }).strict();

/**
 * The dry run's `pin`: the record set as planned from (`null` when it did not exist) and the
 * planned destination. The apply changes the record only while it still holds `from`.
 */
export const route53RecordPin = z.object({ from: recordValues.nullable(), to: recordValues }).strict();

export type Route53RecordPin = z.infer<typeof route53RecordPin>;

export const route53RecordRollbackInput = z
  .object({
    hostedZoneId: resourceName.transform((id) => id.replace(/^\/hostedzone\//, '')),
    /** The record name, with or without the trailing dot. */
    name: resourceName,
    type: z.enum(ROLLBACK_RECORD_TYPES),
    /** The values to go back to (one for CNAME). */
    previousValues: z.array(resourceName).min(1, 'must list at least one value'),
    /** Kept from the current record set when absent (300 if the record does not exist). */
    ttl: ttl.optional(),
    inSyncTimeoutSeconds: z.number().int().positive().max(3600).default(600),
    dryRun,
    ...requestContext,
    ...procedureControls,
    pin: route53RecordPin.optional(),
    ...procedureVerify,
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
    // The apply goes to the planned destination; a pin for other values is a mix-up, not a plan.
    if (input.pin && !sameRecordValues(input.type, input.pin.to.values, input.previousValues)) {
      ctx.addIssue({ code: 'custom', path: ['pin', 'to', 'values'], message: 'differ from previousValues' });
    }
    // Refinements also run on fields that failed: only two numbers are quoted back.
    const numbers = typeof input.ttl === 'number' && typeof input.pin?.to.ttl === 'number';
    if (input.pin && numbers && input.pin.to.ttl !== input.ttl) {
      ctx.addIssue({
        code: 'custom',
        path: ['pin', 'to', 'ttl'],
        message: `is ${input.pin.to.ttl} but ttl is ${input.ttl}`,
      });
    }
  });

export type Route53RecordRollbackInput = z.infer<typeof route53RecordRollbackInput>;
