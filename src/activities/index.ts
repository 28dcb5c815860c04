// All activities, built once per worker from configuration (one client per external system).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { createCloudWatchActivities } from './cloudwatch.js';
import { createDatabaseActivities } from './database.js';
import { createHttpActivities } from './http.js';
import { createKubernetesActivities, lazyKubeClient } from './kubernetes/index.js';
import { createLambdaActivities } from './lambda.js';
import { createMigrationActivities } from './migrations/index.js';
import { createNotifyActivities } from './notify.js';
import { createRdsActivities } from './rds.js';
import { createRoute53Activities } from './route53.js';
import { createSecretActivities } from './secrets.js';
import { createTemporalActivities } from './temporal.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  const kube = lazyKubeClient(config.kubernetes.kubeconfigPath);
  return {
    ...createLambdaActivities(new LambdaClient(aws)),
    ...createRdsActivities(new RDSClient(aws)),
    ...createRoute53Activities(new Route53Client(aws)),
    ...createCloudWatchActivities(new CloudWatchClient(aws)),
    ...createDatabaseActivities(),
    ...createKubernetesActivities(kube),
    ...createMigrationActivities(kube),
    ...createSecretActivities(new SecretsManagerClient(aws), kube),
    ...createNotifyActivities({ channels: config.channels }),
    ...createHttpActivities(),
    ...createTemporalActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
