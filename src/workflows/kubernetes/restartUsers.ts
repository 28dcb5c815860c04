// After a configuration change: `kubectl rollout restart` each Deployment that reads it, wait for
// and verify each rollout, then run the verification suite. Shared by the ConfigMap and Secret
// rollbacks.
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../../activities/types.js';
import { podStatusChecks } from '../../domain/naturalChecks.js';
import type { CheckSpec } from '../../domain/schemas/verifyRollback.js';
import { cloudApiCall } from '../support/activityOptions.js';
import { procedureFailure } from '../support/failures.js';
import type { Progress } from '../support/progress.js';
import { verifyAfter, type VerifiedAfter } from '../support/verifyAfter.js';
import { waitAndVerify, type Verification } from './settle.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

/** kubectl's restartedAt format (RFC 3339, whole seconds), from the workflow's deterministic clock. */
export function restartTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function restartAndVerify(
  namespace: string,
  deployments: string[],
  options: { timeoutSeconds: number },
  progress: Progress,
): Promise<{ deployment: string; restartedAt: string; verification: Verification }[]> {
  const restartedAt = restartTimestamp();
  for (const deployment of deployments) {
    progress.step('rollout restart', deployment);
    await k8s.rolloutRestart({ namespace, deployment, restartedAt });
  }
  const results = [];
  for (const deployment of deployments) {
    const verification = await waitAndVerify({ namespace, deployment }, options, progress);
    if (!verification.passed) {
      throw procedureFailure(
        'RollbackFailed',
        `kubernetes: deployment "${deployment}" in "${namespace}" did not settle after the restart (${verification.problem})`,
      );
    }
    results.push({ deployment, restartedAt, verification });
  }
  return results;
}

/** What a configuration rollback reports of its restore and restarts. */
export interface ConfigurationRestored {
  /** Whether the object's data changed (`changed` also counts the restarts). */
  dataChanged: boolean;
  restarted: { deployment: string; restartedAt: string }[];
}

/**
 * The verification suite after a configuration restore: the restarted Deployments' pods, and the
 * input's checks; nothing to verify when neither the data nor any Deployment changed.
 */
export async function verifyRestored(
  namespace: string,
  restarted: { deployment: string; restartedAt: string }[],
  dataChanged: boolean,
  given: readonly CheckSpec[] | undefined,
  reason: string,
): Promise<ConfigurationRestored & { changed: boolean; verified: boolean } & Omit<VerifiedAfter, 'healthy'>> {
  const changed = dataChanged || restarted.length > 0;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: podStatusChecks(restarted.map(({ deployment }) => ({ namespace, deployment }))),
    given,
    reason,
  });
  return {
    changed,
    dataChanged,
    verified: healthy,
    ...(verification ? { verification } : {}),
    restarted: restarted.map(({ deployment, restartedAt }) => ({ deployment, restartedAt })),
    suffix,
  };
}
