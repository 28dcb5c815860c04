// After any change to a Deployment: wait for the rollout as `kubectl rollout status` does, then
// verify its pods (runbook "Verify pods are running" and "Check logs").
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../../activities/types.js';
import { cloudApiCall, longWait } from '../support/activityOptions.js';
import type { Progress } from '../support/progress.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export interface DeploymentRef {
  namespace: string;
  deployment: string;
}

export interface Verification {
  passed: boolean;
  rollout: string;
  pods: { total: number; running: number; ready: number; restarts: number };
  logs: string;
  problem?: string;
}

export async function waitAndVerify(
  ref: DeploymentRef,
  options: { timeoutSeconds: number; maxLogErrors?: number },
  progress: Progress,
): Promise<Verification> {
  const empty = { total: 0, running: 0, ready: 0, restarts: 0 };
  progress.step('rollout status', `waiting up to ${options.timeoutSeconds}s`);
  let rollout: string;
  try {
    const status = await proxyActivities<KubernetesActivities>(longWait(options.timeoutSeconds)).waitForRollout({
      ...ref,
      timeoutSeconds: options.timeoutSeconds,
    });
    rollout = status.message;
  } catch (error) {
    // A rollout that cannot finish is what the fallback ladder is for; anything else fails.
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && (cause.type === 'RolloutFailed' || cause.type === 'WaitLimitExceeded')) {
      return { passed: false, rollout: cause.message, pods: empty, logs: 'not checked', problem: cause.message };
    }
    throw error;
  }
  progress.step('verify', rollout);
  const [pods, logs] = await Promise.all([k8s.podStatus(ref), k8s.logErrorCount(ref)]);
  const summary = { total: pods.total, running: pods.running, ready: pods.ready, restarts: pods.restarts };
  let problem: string | undefined;
  if (pods.ready < pods.total || pods.running < pods.total) {
    problem = `${pods.ready} of ${pods.total} pods ready`;
  } else if (options.maxLogErrors !== undefined && logs.available && logs.errorCount > options.maxLogErrors) {
    problem = `${logs.errorCount} error lines in recent logs (limit ${options.maxLogErrors})`;
  }
  return { passed: problem === undefined, rollout, pods: summary, logs: logs.detail, problem };
}
