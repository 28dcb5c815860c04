import { z } from 'zod';
import { dryRun, procedureControls, requestContext } from './common.js';
import { procedureVerify } from './verifyRollback.js';

const absolutePath = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .refine((p) => p.startsWith('/'), `must be an absolute path (${what})`);

/** A plan's confirmation hash: sha256 of the plan's canonical form (src/domain/terraform.ts). */
export const planHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-hex-digit plan hash from the plan');

/** The dry run's `pin`: the hash of the plan the incident's person approved. */
export const terraformPin = z
  .object({
    planHash,
    /** For people: the commit reverted and HEAD when planned. */
    commit: z.string().optional(),
    head: z.string().optional(),
  })
  .strict();

export const terraformStatePin = z.object({ planHash, backup: z.string().optional() }).strict();

const timeouts = {
  /** How long a plan or apply waits for a state lock held by someone else (-lock-timeout). */
  lockTimeoutSeconds: z.number().int().min(0).max(3600).default(60),
  /** How long the workflow waits for `confirmPlan` before failing (nothing is applied). */
  confirmationTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(3600),
};

export const terraformRevertInput = z
  .object({
    /** The local clone of the infrastructure repository. */
    repo: absolutePath('the local clone'),
    /** The bad commit to revert (a sha or any revision git understands). */
    commit: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z._/~^@-]+$/, 'must be a commit (a sha or a revision name)'),
    /** Where Terraform runs, relative to `repo` ("." or "envs/prod"); with atmos, the atmos.yaml directory. */
    workingDir: z
      .string()
      .trim()
      .default('.')
      .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside repo, relative to it'),
    component: z.string().trim().min(1).optional(),
    stack: z.string().trim().min(1).optional(),
    /** Push the revert commit to the clone's remote (it needs one). */
    push: z.boolean().default(false),
    dryRun,
    ...requestContext,
    ...procedureControls,
    pin: terraformPin.optional(),
    ...timeouts,
    ...procedureVerify,
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.component === undefined) !== (input.stack === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [input.component === undefined ? 'component' : 'stack'],
        message: 'component and stack go together (atmos terraform <command> <component> -s <stack>)',
      });
    }
  });

export type TerraformRevertInput = z.infer<typeof terraformRevertInput>;

export const terraformStateRestoreInput = z
  .object({
    /** The Terraform working directory whose state is restored. */
    workingDir: absolutePath('the Terraform working directory'),
    /** The backup to restore: a path, absolute or relative to workingDir ("terraform.tfstate.backup"). */
    backup: z.string().trim().min(1, 'must name a state backup'),
    /** Where timestamped backups are kept (default: <workingDir>/backups). */
    backupsDir: z.string().trim().min(1).optional(),
    /** A backup of another lineage is pushed (with -force) only when this is true. */
    allowLineageChange: z.boolean().default(false),
    dryRun,
    ...requestContext,
    ...procedureControls,
    pin: terraformStatePin.optional(),
    ...timeouts,
    ...procedureVerify,
  })
  .strict();

export type TerraformStateRestoreInput = z.infer<typeof terraformStateRestoreInput>;

/** The `confirmPlan` update's argument. */
export const confirmPlanArgs = z
  .object({
    planHash,
    by: z.string().trim().min(1, 'must name who confirms'),
    note: z.string().optional(),
  })
  .strict();

export type ConfirmPlanArgs = z.infer<typeof confirmPlanArgs>;
