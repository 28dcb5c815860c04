// All activities, built once per worker from configuration (one client per external system).
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKubernetesActivities, lazyKubeClient } from './kubernetes/index.js';
import { createLambdaActivities } from './lambda.js';
import { createSecretActivities } from './secrets.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  const kube = lazyKubeClient(config.kubernetes.kubeconfigPath);
  return {
    ...createLambdaActivities(new LambdaClient(aws)),
    ...createKubernetesActivities(kube),
    ...createSecretActivities(new SecretsManagerClient(aws), kube),
  };
}

export type Activities = ReturnType<typeof createActivities>;
