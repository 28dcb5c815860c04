// Runbook "Secrets Rollback": restore the Secret from Secrets Manager's AWSPREVIOUS version, then
// restart the pods that read it. The value itself never enters this workflow's history. The plan
// pins the Secret's resourceVersion and the source version; an apply given the pin refuses either
// having moved (TargetChanged).
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities, SecretActivities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import {
  secretPin,
  secretRollbackInput,
  type SecretPin,
  type SecretRollbackInput,
} from '../domain/schemas/kubernetes.js';
import { restartAndVerify, verifyRestored, type ConfigurationRestored } from './kubernetes/restartUsers.js';
import { cloudApiCall } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { changedThisRun } from './support/lostAnswer.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';

const secrets = proxyActivities<SecretActivities>(cloudApiCall);
const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export interface SecretRollbackResult extends ProcedureResult, ConfigurationRestored {
  namespace: string;
  secret: string;
  secretId: string;
  versionStage: string;
  versionId?: string;
  keys: string[];
  pin?: SecretPin;
}

export async function secretRollback(rawInput: unknown): Promise<SecretRollbackResult> {
  const spec = { workflowType: 'secretRollback', input: secretRollbackInput, pin: secretPin };
  return runProcedure(rawInput, spec, restoreSecret);
}

async function restoreSecret({
  input,
  pin,
  progress,
}: ProcedureStart<SecretRollbackInput, SecretPin>): Promise<SecretRollbackResult> {
  const { namespace, secret, secretId, versionStage } = input;

  progress.step('plan');
  const [stage, current, users] = await Promise.all([
    secrets.describeSecretStage({ secretId, versionStage }),
    k8s.readSecretVersion({ namespace, name: secret }),
    input.deployments ? Promise.resolve(input.deployments) : k8s.deploymentsUsing({ namespace, secret }),
  ]);
  if (!stage.versionId) {
    throw procedureFailure('NotFound', `secrets: secret "${secretId}" has no version in stage ${versionStage}`);
  }
  const base = {
    namespace,
    secret,
    secretId,
    versionStage,
    versionId: stage.versionId,
    from: current.exists ? `secret/${secret} resourceVersion ${current.resourceVersion}` : `secret/${secret} absent`,
    to: `${secretId} version ${stage.versionId} (${versionStage})`,
  };
  if (input.dryRun) {
    return {
      ...base,
      dryRun: true,
      changed: false,
      verified: false,
      dataChanged: false,
      pin: { resourceVersion: current.resourceVersion, versionId: stage.versionId },
      keys: [],
      restarted: [],
      message: `dry run: would restore kubernetes secret "${secret}" from ${secretId} version ${stage.versionId} (${versionStage}) and restart [${users.join(', ')}]`,
    };
  }
  if (pin && (pin.resourceVersion !== current.resourceVersion || pin.versionId !== stage.versionId)) {
    const moved = [
      pin.resourceVersion !== current.resourceVersion &&
        `secret/${secret} resourceVersion ${pin.resourceVersion ?? '(absent)'} -> ${current.resourceVersion ?? '(absent)'}`,
      pin.versionId !== stage.versionId && `${secretId} ${versionStage} ${pin.versionId} -> ${stage.versionId}`,
    ].filter(Boolean);
    throw procedureFailure('TargetChanged', `${moved.join('; ')} since the plan; plan again`);
  }

  // 1. Restore the secret from Secrets Manager (read and written inside one activity), and check
  //    that the Secret now holds the restored keys.
  progress.step('restore secret', `${secretId} ${versionStage}`);
  const restored = await secrets.restoreSecretFromSecretsManager({ namespace, secret, secretId, versionStage });
  const after = await k8s.readSecretVersion({ namespace, name: secret });
  if (!after.exists || after.keys.join(',') !== [...restored.keys].sort().join(',')) {
    throw procedureFailure(
      'VerificationFailed',
      `kubernetes: secret "${secret}" in "${namespace}" does not hold the restored keys after the restore`,
    );
  }

  // 2. Restart affected pods, and wait for them (fails unless they settle).
  const restarted = await restartAndVerify(namespace, users, input, progress);

  // 3. The verification suite: the restarted Deployments' pods, and the input's checks. A Secret
  //    written since step 1 read it was written by this run's restore, even when the restore's
  //    retry (after a lost answer) found nothing left to do.
  const written = current.exists ? after.resourceVersion !== current.resourceVersion : after.exists;
  const dataChanged = changedThisRun(restored.changed, written);
  const { suffix, ...verified } = await verifyRestored(
    namespace,
    restarted,
    dataChanged,
    input.verify,
    `after restoring kubernetes secret "${secret}" in "${namespace}"`,
  );
  return {
    ...base,
    versionId: restored.versionId,
    dryRun: false,
    ...verified,
    keys: restored.keys,
    message: `kubernetes secret "${secret}" restored from ${versionStage} (${restored.keys.length} keys); restarted ${restarted.length} deployments${suffix}`,
  };
}
