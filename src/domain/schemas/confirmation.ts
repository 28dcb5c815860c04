// The one shape of `confirm`, to an incident or to a procedure waiting for a person:
// `{ by, notes?, step? }`. An incident forwards it to the procedure that waits (with that
// procedure's step); `rollbackctl confirm` and the Web UI send it to either.
import { z } from 'zod';
import { person } from './common.js';

export const confirmRequest = z
  .object({
    by: person,
    notes: z.string().optional(),
    /** What is confirmed (a fallback rung, "repair migration table"); absent confirms whatever is awaited. */
    step: z.string().trim().min(1, 'must name the step when given').optional(),
  })
  .strict();

export type ConfirmRequest = z.infer<typeof confirmRequest>;

/**
 * A procedure's `confirm` as it may still arrive: senders before the shapes were one wrote
 * `note`, and running workflows and their histories may carry it. It means `notes`.
 */
export const procedureConfirmRequest = z.preprocess((raw) => {
  if (raw === null || typeof raw !== 'object' || !('note' in raw) || 'notes' in raw) return raw;
  const { note, ...rest } = raw as { note: unknown };
  return { ...rest, notes: note };
}, confirmRequest);
