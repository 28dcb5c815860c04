import { z } from 'zod';

/** A non-empty, trimmed identifier of a cloud resource. */
export const resourceName = z.string().trim().min(1, 'must not be empty');

/** Who did something (a confirm, a reject): every human action names a person. */
export const person = z.string().trim().min(1, 'must name a person');

export const dryRun = z.boolean().default(false);

/** Who asked for the change and why: kept in workflow input so the UI shows it. */
export const requestContext = {
  reason: z.string().optional(),
  requestedBy: z.string().optional(),
};

/**
 * Contract fields every procedure accepts (src/domain/procedures/contract.ts): the plan's `pin`
 * given back to the apply, and the override of the rollback guard.
 */
export const procedureControls = {
  pin: z.record(z.unknown()).optional(),
  allowMarkedTarget: z.boolean().default(false),
};
