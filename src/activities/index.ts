// All activities, built once per worker from configuration (one client per external system).
// The modules that import an AWS SDK load on their first call (lazyActivities.ts): a worker that
// never touches AWS never loads it, and one that does starts polling sooner.
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { withIamActionNames } from './awsPermissions.js';
import type { createCheckActivities } from './checks/index.js';
import type { createCloudWatchActivities } from './cloudwatch.js';
import { createDatabaseActivities } from './database.js';
import { createHelmActivities } from './helm.js';
import { createHttpActivities } from './http.js';
import { createKubernetesActivities, lazyKubeClient } from './kubernetes/index.js';
import type { createLambdaActivities } from './lambda.js';
import { lazyActivities, once } from './lazyActivities.js';
import { createMigrationActivities } from './migrations/index.js';
import { createNotifyActivities } from './notify.js';
import type { createRdsActivities } from './rds.js';
import type { createRoute53Activities } from './route53.js';
import type { createSecretActivities } from './secrets.js';
import { createTemporalActivities } from './temporal.js';
import { createTerraformActivities } from './terraform.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  const kube = lazyKubeClient(config.kubernetes.kubeconfigPath);
  // One client per service, shared by the activities and the checks that call it.
  const cloudwatch = once(async () =>
    withIamActionNames(new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient(aws)),
  );
  const route53 = once(async () =>
    withIamActionNames(new (await import('@aws-sdk/client-route-53')).Route53Client(aws)),
  );
  return {
    ...lazyActivities<ReturnType<typeof createLambdaActivities>>(
      {
        getLambdaAlias: true,
        listLambdaVersions: true,
        getLambdaRollbackMark: true,
        markLambdaRollback: true,
        updateLambdaAlias: true,
      },
      async () =>
        (await import('./lambda.js')).createLambdaActivities(
          withIamActionNames(new (await import('@aws-sdk/client-lambda')).LambdaClient(aws)),
        ),
    ),
    ...lazyActivities<ReturnType<typeof createRdsActivities>>(
      {
        describeInstance: true,
        listSnapshots: true,
        getSnapshot: true,
        getRestorableWindow: true,
        restoreFromSnapshot: true,
        restoreToPointInTime: true,
        waitForInstanceAvailable: true,
      },
      async () =>
        (await import('./rds.js')).createRdsActivities(
          withIamActionNames(new (await import('@aws-sdk/client-rds')).RDSClient(aws)),
        ),
    ),
    ...lazyActivities<ReturnType<typeof createRoute53Activities>>(
      { getRecordSet: true, replaceRecordSet: true, waitForChangeInSync: true },
      async () => (await import('./route53.js')).createRoute53Activities(await route53()),
    ),
    ...lazyActivities<ReturnType<typeof createCloudWatchActivities>>(
      { listAlarmsInAlarm: true, cloudwatchAlarmsCheck: true },
      async () => (await import('./cloudwatch.js')).createCloudWatchActivities(await cloudwatch()),
    ),
    ...createDatabaseActivities(),
    ...createKubernetesActivities(kube),
    ...createHelmActivities({ binary: config.helm.binary, kubeconfigPath: config.kubernetes.kubeconfigPath }, kube),
    ...createMigrationActivities(kube),
    ...lazyActivities<ReturnType<typeof createSecretActivities>>(
      { describeSecretStage: true, restoreSecretFromSecretsManager: true },
      async () =>
        (await import('./secrets.js')).createSecretActivities(
          withIamActionNames(new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(aws)),
          kube,
        ),
    ),
    ...createNotifyActivities({ channels: config.channels }),
    ...createHttpActivities(),
    ...createTemporalActivities(),
    ...lazyActivities<ReturnType<typeof createCheckActivities>>({ runVerificationCheck: true }, async () =>
      (await import('./checks/index.js')).createCheckActivities({
        cloudwatch: await cloudwatch(),
        route53: await route53(),
        kube,
        terraform: config.terraform,
      }),
    ),
    ...createTerraformActivities(config.terraform),
  };
}

export type Activities = ReturnType<typeof createActivities>;
