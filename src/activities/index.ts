// All activities, built once per worker from configuration (one client per external system).
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { createKubernetesActivities } from './kubernetes/index.js';
import { createLambdaActivities } from './lambda.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  return {
    ...createLambdaActivities(new LambdaClient(aws)),
    ...createKubernetesActivities(config.kubernetes.kubeconfigPath),
  };
}

export type Activities = ReturnType<typeof createActivities>;
