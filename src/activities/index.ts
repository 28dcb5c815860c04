// All activities, built once per worker from configuration (one client per external system).
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AppConfig } from '../config/env.js';
import { awsClientConfig } from './aws.js';
import { createHttpActivities } from './http.js';
import { createLambdaActivities } from './lambda.js';
import { createNotifyActivities } from './notify.js';
import { createTemporalActivities } from './temporal.js';

export function createActivities(config: AppConfig) {
  const aws = awsClientConfig(config);
  return {
    ...createLambdaActivities(new LambdaClient(aws)),
    ...createNotifyActivities(),
    ...createHttpActivities(),
    ...createTemporalActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
