// Runbook "ConfigMap Rollback": apply the previous ConfigMap, then restart the pods that read it.
// The plan pins the ConfigMap's resourceVersion; an apply given the pin refuses a ConfigMap edited
// since (TargetChanged).
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import {
  configMapPin,
  configMapRollbackInput,
  type ConfigMapPin,
  type ConfigMapRollbackInput,
} from '../domain/schemas/kubernetes.js';
import { stableJson } from '../domain/textDiff.js';
import { restartAndVerify, verifyRestored, type ConfigurationRestored } from './kubernetes/restartUsers.js';
import { cloudApiCall } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { changedThisRun } from './support/lostAnswer.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export interface ConfigMapRollbackResult extends ProcedureResult, ConfigurationRestored {
  namespace: string;
  configMap: string;
  keysChanged: string[];
  pin?: ConfigMapPin;
}

export async function configMapRollback(rawInput: unknown): Promise<ConfigMapRollbackResult> {
  const spec = { workflowType: 'configMapRollback', input: configMapRollbackInput, pin: configMapPin };
  return runProcedure(rawInput, spec, restoreConfigMap);
}

async function restoreConfigMap({
  input,
  pin,
  progress,
}: ProcedureStart<ConfigMapRollbackInput, ConfigMapPin>): Promise<ConfigMapRollbackResult> {
  const { namespace, configMap } = input;

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
  const base = {
    namespace,
    configMap,
    keysChanged,
    from: `configmap/${configMap} resourceVersion ${current.resourceVersion}`,
    to: input.backupConfigMap
      ? `data of configmap/${input.backupConfigMap}`
      : `previousData (${Object.keys(previous.data).length} keys)`,
  };
  if (input.dryRun) {
    return {
      ...base,
      dryRun: true,
      changed: false,
      verified: false,
      dataChanged: false,
      pin: { resourceVersion: current.resourceVersion },
      restarted: [],
      message: `dry run: would change keys [${keysChanged.join(', ')}] of configmap "${configMap}" and restart [${users.join(', ')}]`,
    };
  }
  // Data already equal to the previous version is where the apply would have left it.
  if (pin && keysChanged.length > 0 && current.resourceVersion !== pin.resourceVersion) {
    throw procedureFailure(
      'TargetChanged',
      `configmap/${configMap} changed since the plan (resourceVersion ${pin.resourceVersion} -> ${current.resourceVersion}); plan again`,
    );
  }

  // 2. Apply the previous version, and read it back.
  progress.step('apply', `keys ${keysChanged.join(', ')}`);
  const applied = await k8s.applyConfigMapData({
    namespace,
    name: configMap,
    data: previous.data,
    expectedResourceVersion: pin?.resourceVersion,
  });
  const readBack = await k8s.readConfigMap({ namespace, name: configMap });
  if (stableJson(readBack.data) !== stableJson(previous.data)) {
    throw procedureFailure(
      'VerificationFailed',
      `kubernetes: configmap "${configMap}" in "${namespace}" does not hold the previous data after the apply`,
    );
  }

  // 3. Restart the pods to pick up the configuration, and wait for them (fails unless they settle).
  const restarted = await restartAndVerify(namespace, users, input, progress);

  // 4. The verification suite: the restarted Deployments' pods, and the input's checks. The data
  //    differed at step 1 and reads back restored: this run changed it, even when the apply's
  //    retry (after a lost answer) found nothing left to do.
  const dataChanged = changedThisRun(applied.changed, keysChanged.length > 0);
  const { suffix, ...verified } = await verifyRestored(
    namespace,
    restarted,
    dataChanged,
    input.verify,
    `after restoring configmap "${configMap}" in "${namespace}"`,
  );
  return {
    ...base,
    dryRun: false,
    ...verified,
    message: `configmap "${configMap}" restored (${dataChanged ? keysChanged.length : 0} keys changed); restarted ${restarted.length} deployments${suffix}`,
  };
}
