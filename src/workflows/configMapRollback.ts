// Runbook "ConfigMap Rollback": apply the previous ConfigMap, then restart the pods that read it.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { configMapRollbackInput } from '../domain/schemas/kubernetes.js';
import { restartAndVerify } from './kubernetes/restartUsers.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { trackProgress } from './support/progress.js';

const k8s = proxyActivities<Activities>(cloudApiCall);

export interface ConfigMapRollbackResult {
  namespace: string;
  configMap: string;
  dryRun: boolean;
  changed: boolean;
  keysChanged: string[];
  restarted: { deployment: string; restartedAt: string }[];
  message: string;
}

export async function configMapRollback(rawInput: unknown): Promise<ConfigMapRollbackResult> {
  return asProcedure(() => restoreConfigMap(rawInput));
}

async function restoreConfigMap(rawInput: unknown): Promise<ConfigMapRollbackResult> {
  const input = parseInput(configMapRollbackInput, rawInput, 'configMapRollback');
  const { namespace, configMap } = input;
  const progress = trackProgress();

  // 1. Get the current and the previous version.
  progress.step('read');
  const [current, previous, users] = await Promise.all([
    k8s.readConfigMap({ namespace, name: configMap }),
    input.previousData
      ? Promise.resolve({ data: input.previousData })
      : k8s.readConfigMap({ namespace, name: input.backupConfigMap! }),
    input.deployments ? Promise.resolve(input.deployments) : k8s.deploymentsUsing({ namespace, configMap }),
  ]);
  const keys = new Set([...Object.keys(current.data), ...Object.keys(previous.data)]);
  const keysChanged = [...keys].filter((k) => current.data[k] !== previous.data[k]).sort();
  const base = { namespace, configMap, keysChanged };
  if (input.dryRun) {
    return {
      ...base,
      dryRun: true,
      changed: false,
      restarted: [],
      message: `dry run: would change keys [${keysChanged.join(', ')}] of configmap "${configMap}" and restart [${users.join(', ')}]`,
    };
  }

  // 2. Apply the previous version.
  progress.step('apply', `keys ${keysChanged.join(', ')}`);
  const applied = await k8s.applyConfigMapData({ namespace, name: configMap, data: previous.data });

  // 3. Restart the pods to pick up the configuration, and wait for them.
  const restarted = await restartAndVerify(namespace, users, input, progress);
  return {
    ...base,
    dryRun: false,
    changed: applied.changed,
    restarted: restarted.map(({ deployment, restartedAt }) => ({ deployment, restartedAt })),
    message: `configmap "${configMap}" restored (${applied.keysChanged.length} keys changed); restarted ${restarted.length} deployments`,
  };
}
