// After a configuration change: `kubectl rollout restart` each Deployment that reads it, then
// wait for and verify each rollout. Shared by the ConfigMap and Secret rollbacks.
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../../activities/types.js';
import { cloudApiCall } from '../support/activityOptions.js';
import { procedureFailure } from '../support/failures.js';
import type { Progress } from '../support/progress.js';
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
