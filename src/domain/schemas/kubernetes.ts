import { z } from 'zod';
import { dryRun, procedureControls, requestContext } from './common.js';
import { procedureVerify } from './verifyRollback.js';

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
    /** Rung 1: `kubectl rollout restart` (a rolling restart: pods are replaced a few at a time). */
    rollingRestart: z.boolean().default(true),
    /** Rung 2: delete every pod at once so the ReplicaSet recreates them (downtime; destructive). */
    deletePods: z.boolean().default(false),
    /** Rung 3: scale to zero, wait, and back to the original count (downtime; destructive). */
    scaleToZeroAndBack: z.boolean().default(false),
    /** Rung 4: delete the Deployment and create it from this previous manifest (downtime; destructive). */
    recreateFromManifest: z.record(z.unknown()).optional(),
    /** The destructive rungs (2-4) wait for a `confirm` signal unless this is true. */
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
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict();

/** A Deployment rollback's plan: where the Deployment was and where the rollback goes. */
export const deploymentPin = z
  .object({
    currentRevision: z.number().int().min(0),
    currentTemplateHash: z.string().optional(),
    targetRevision: z.number().int().positive(),
    targetTemplateHash: z.string().optional(),
  })
  .strict();

export type DeploymentPin = z.infer<typeof deploymentPin>;

export type KubernetesDeploymentRollbackInput = z.infer<typeof kubernetesDeploymentRollbackInput>;

export const blueGreenRollbackInput = z
  .object({
    namespace: kubeName,
    /** The Service whose selector decides which colour gets traffic. */
    service: kubeName,
    blueDeployment: kubeName,
    /** The blue count to restore; when absent, the green Deployment's current count. */
    replicas: z.number().int().positive().optional(),
    greenDeployment: kubeName.optional(),
    /** The selector that sends traffic to blue (runbook: {"version":"blue"}). */
    blueSelector: z.record(z.string()).default({ version: 'blue' }),
    timeoutSeconds: rolloutTimeoutSeconds,
    dryRun,
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict()
  .refine((v) => v.replicas !== undefined || v.greenDeployment !== undefined, {
    message: 'give replicas, or greenDeployment to copy its count',
    path: ['replicas'],
  });

export type BlueGreenRollbackInput = z.infer<typeof blueGreenRollbackInput>;

export const canaryRollbackInput = z
  .object({
    namespace: kubeName,
    /** The Ingress carrying canary routing (an ingress-nginx canary Ingress, or one with a canary path). */
    ingress: kubeName,
    canaryService: kubeName,
    canaryDeployment: kubeName,
    stableService: kubeName,
    dryRun,
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict();

export type CanaryRollbackInput = z.infer<typeof canaryRollbackInput>;

const restartTargets = {
  /** Deployments to restart; when absent, every Deployment of the namespace that uses it. */
  deployments: z.array(kubeName).optional(),
  timeoutSeconds: rolloutTimeoutSeconds,
};

export const configMapRollbackInput = z
  .object({
    namespace: kubeName,
    configMap: kubeName,
    /** The previous version: its data inline, or the name of a backup ConfigMap holding it. */
    previousData: z.record(z.string()).optional(),
    backupConfigMap: kubeName.optional(),
    ...restartTargets,
    dryRun,
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict()
  .refine((v) => (v.previousData === undefined) !== (v.backupConfigMap === undefined), {
    message: 'give exactly one of previousData and backupConfigMap',
    path: ['previousData'],
  });

export type ConfigMapRollbackInput = z.infer<typeof configMapRollbackInput>;

export const secretRollbackInput = z
  .object({
    namespace: kubeName,
    /** The Kubernetes Secret to restore. */
    secret: kubeName,
    /** The Secrets Manager secret (name or ARN) holding the previous version. */
    secretId: z.string().trim().min(1, 'must not be empty'),
    versionStage: z.string().trim().min(1).default('AWSPREVIOUS'),
    ...restartTargets,
    dryRun,
    ...procedureControls,
    ...requestContext,
    ...procedureVerify,
  })
  .strict();

export type SecretRollbackInput = z.infer<typeof secretRollbackInput>;

/** Blue-green plan: the Service selector the switch moves away from. */
export const blueGreenPin = z.object({ selector: z.record(z.string()) }).strict();
export type BlueGreenPin = z.infer<typeof blueGreenPin>;

/** Canary plan: where the canary Ingress routes (not its resourceVersion, which status updates move). */
export const canaryPin = z
  .object({
    ingress: z
      .object({ exists: z.boolean(), canary: z.boolean(), services: z.array(z.string()), paths: z.array(z.string()) })
      .strict(),
  })
  .strict();
export type CanaryPin = z.infer<typeof canaryPin>;

/** ConfigMap plan: the resourceVersion of the ConfigMap as read (a ConfigMap has no status). */
export const configMapPin = z.object({ resourceVersion: z.string().min(1) }).strict();
export type ConfigMapPin = z.infer<typeof configMapPin>;

/** Secret plan: the Kubernetes Secret's resourceVersion (absent: no Secret yet) and the source version. */
export const secretPin = z.object({ resourceVersion: z.string().optional(), versionId: z.string().min(1) }).strict();
export type SecretPin = z.infer<typeof secretPin>;
