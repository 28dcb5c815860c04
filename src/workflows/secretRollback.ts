// Runbook "Secrets Rollback": restore the Secret from Secrets Manager's AWSPREVIOUS version, then
// restart the pods that read it. The value itself never enters this workflow's history.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { secretRollbackInput } from '../domain/schemas/kubernetes.js';
import { restartAndVerify } from './kubernetes/restartUsers.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { trackProgress } from './support/progress.js';

const act = proxyActivities<Activities>(cloudApiCall);

export interface SecretRollbackResult {
  namespace: string;
  secret: string;
  secretId: string;
  versionStage: string;
  versionId?: string;
  dryRun: boolean;
  changed: boolean;
  keys: string[];
  restarted: { deployment: string; restartedAt: string }[];
  message: string;
}

export async function secretRollback(rawInput: unknown): Promise<SecretRollbackResult> {
  return asProcedure(() => restoreSecret(rawInput));
}

async function restoreSecret(rawInput: unknown): Promise<SecretRollbackResult> {
  const input = parseInput(secretRollbackInput, rawInput, 'secretRollback');
  const { namespace, secret, secretId, versionStage } = input;
  const progress = trackProgress();

  progress.step('plan');
  const [stage, users] = await Promise.all([
    act.describeSecretStage({ secretId, versionStage }),
    input.deployments ? Promise.resolve(input.deployments) : act.deploymentsUsing({ namespace, secret }),
  ]);
  if (!stage.versionId) {
    throw procedureFailure('NotFound', `secrets: secret "${secretId}" has no version in stage ${versionStage}`);
  }
  const base = { namespace, secret, secretId, versionStage, versionId: stage.versionId };
  if (input.dryRun) {
    return {
      ...base,
      dryRun: true,
      changed: false,
      keys: [],
      restarted: [],
      message: `dry run: would restore kubernetes secret "${secret}" from ${secretId} version ${stage.versionId} (${versionStage}) and restart [${users.join(', ')}]`,
    };
  }

  // 1. Restore the secret from Secrets Manager (read and written inside one activity).
  progress.step('restore secret', `${secretId} ${versionStage}`);
  const restored = await act.restoreSecretFromSecretsManager({ namespace, secret, secretId, versionStage });

  // 2. Restart affected pods, and wait for them.
  const restarted = await restartAndVerify(namespace, users, input, progress);
  return {
    ...base,
    versionId: restored.versionId,
    dryRun: false,
    changed: restored.changed,
    keys: restored.keys,
    restarted: restarted.map(({ deployment, restartedAt }) => ({ deployment, restartedAt })),
    message: `kubernetes secret "${secret}" restored from ${versionStage} (${restored.keys.length} keys); restarted ${restarted.length} deployments`,
  };
}
