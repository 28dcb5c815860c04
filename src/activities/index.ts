// All activities, built once per worker from configuration (one client per external system).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { withIamActionNames } from './awsPermissions.js';
import { createCheckActivities } from './checks/index.js';
import { createCloudWatchActivities } from './cloudwatch.js';
import { createDatabaseActivities } from './database.js';
import { createHelmActivities } from './helm.js';
import { createHttpActivities } from './http.js';
import { createKubernetesActivities, lazyKubeClient } from './kubernetes/index.js';
import { createLambdaActivities } from './lambda.js';
import { createMigrationActivities } from './migrations/index.js';
import { createNotifyActivities } from './notify.js';
import { createRdsActivities } from './rds.js';
import { createRoute53Activities } from './route53.js';
import { createSecretActivities } from './secrets.js';
import { createTemporalActivities } from './temporal.js';
import { createTerraformActivities } from './terraform.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  const kube = lazyKubeClient(config.kubernetes.kubeconfigPath);
  const cloudwatch = withIamActionNames(new CloudWatchClient(aws));
  const route53 = withIamActionNames(new Route53Client(aws));
  return {
    ...createLambdaActivities(withIamActionNames(new LambdaClient(aws))),
    ...createRdsActivities(withIamActionNames(new RDSClient(aws))),
    ...createRoute53Activities(route53),
    ...createCloudWatchActivities(cloudwatch),
    ...createDatabaseActivities(),
    ...createKubernetesActivities(kube),
    ...createHelmActivities({ binary: config.helm.binary, kubeconfigPath: config.kubernetes.kubeconfigPath }, kube),
    ...createMigrationActivities(kube),
    ...createSecretActivities(withIamActionNames(new SecretsManagerClient(aws)), kube),
    ...createNotifyActivities({ channels: config.channels }),
    ...createHttpActivities(),
    ...createTemporalActivities(),
    ...createCheckActivities({ cloudwatch, route53, kube, terraform: config.terraform }),
    ...createTerraformActivities(config.terraform),
  };
}

export type Activities = ReturnType<typeof createActivities>;
