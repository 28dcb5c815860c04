import { z } from 'zod';
import { dryRun, procedureControls, requestContext } from './common.js';
import { kubeName } from './kubernetes.js';
import { procedureVerify } from './verifyRollback.js';

/** Helm's rule for release names (chartutil.ValidateReleaseName): a DNS-1123 subdomain of at most 53. */
const releaseName = z
  .string()
  .trim()
  .max(53, 'must be at most 53 characters (helm)')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a helm release name (lower case letters, digits, "-" and ".")',
  );

const revision = z.number().int().positive();

/** The dry run's `pin`: the release's newest revision when planned, and the planned destination. */
export const helmReleasePin = z.object({ currentRevision: revision, toRevision: revision }).strict();
export type HelmReleasePin = z.infer<typeof helmReleasePin>;

export const helmReleaseRollbackInput = z
  .object({
    namespace: kubeName,
    release: releaseName,
    /** A revision from `helm history`; when absent, the newest earlier deployed one (see docs/helm.md). */
    toRevision: revision.optional(),
    /** helm rollback --timeout, and the limit of each Deployment's rollout wait afterwards. */
    timeoutSeconds: z.number().int().positive().max(86_400).default(300),
    /** helm rollback --wait; the Deployments' rollout and pods are checked afterwards either way. */
    wait: z.boolean().default(true),
    /** Fail verification when a Deployment's recent logs hold more error lines than this. */
    maxLogErrors: z.number().int().min(0).optional(),
    /** How long a rollback of a locked (pending-*) release waits for a `confirm` signal. */
    confirmationTimeoutSeconds: z.number().int().positive().max(86_400).default(900),
    dryRun,
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict()
  .superRefine((input, ctx) => {
    const pin = helmReleasePin.safeParse(input.pin);
    if (input.pin !== undefined && !pin.success) {
      for (const issue of pin.error.issues) ctx.addIssue({ ...issue, path: ['pin', ...issue.path] });
    }
    // Refinements also run on fields that failed: a toRevision that is not a revision is never quoted.
    const validTo = revision.safeParse(input.toRevision).success;
    if (pin.success && input.toRevision !== undefined && validTo && pin.data.toRevision !== input.toRevision) {
      ctx.addIssue({
        code: 'custom',
        path: ['pin', 'toRevision'],
        message: `is ${pin.data.toRevision} but toRevision is ${input.toRevision}; give one destination`,
      });
    }
  });

export type HelmReleaseRollbackInput = z.infer<typeof helmReleaseRollbackInput>;
