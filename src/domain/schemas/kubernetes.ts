import { z } from 'zod';
import { dryRun, requestContext } from './common.js';

/** A Kubernetes object name (RFC 1123 subdomain), as the API server checks it. */
export const kubeName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name such as "web-api"');

export const deploymentTarget = { namespace: kubeName, deployment: kubeName };

export const rolloutTimeoutSeconds = z.number().int().positive().max(86_400).default(600);

export const fallbackPolicy = z
  .object({
    /** Rung 1: delete the pods so the ReplicaSet recreates them. */
    deletePods: z.boolean().default(true),
    /** Rung 2: scale to zero, wait, and back to the original count (downtime). */
    scaleToZeroAndBack: z.boolean().default(false),
    /** Rung 3: delete the Deployment and create it from this previous manifest (downtime). */
    recreateFromManifest: z.record(z.unknown()).optional(),
    /** Rungs 2 and 3 wait for a `confirm` signal unless this is true. */
    allowDestructive: z.boolean().default(false),
    /** How long a destructive rung waits for `confirm` before giving up. */
    confirmationTimeoutSeconds: z.number().int().positive().default(900),
    /** Seconds at zero replicas before scaling back (the runbook sleeps 10). */
    pauseAtZeroSeconds: z.number().int().min(0).default(10),
  })
  .strict();

export type FallbackPolicy = z.infer<typeof fallbackPolicy>;

export const kubernetesDeploymentRollbackInput = z
  .object({
    ...deploymentTarget,
    /** A revision from `kubectl rollout history`; the previous one when absent. */
    toRevision: z.number().int().positive().optional(),
    timeoutSeconds: rolloutTimeoutSeconds,
    /** Fail verification when the recent logs hold more error lines than this. */
    maxLogErrors: z.number().int().min(0).optional(),
    fallbacks: fallbackPolicy.default({}),
    dryRun,
    ...requestContext,
  })
  .strict();

export type KubernetesDeploymentRollbackInput = z.infer<typeof kubernetesDeploymentRollbackInput>;
