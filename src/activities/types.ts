// The activities of each external system, as types only: a workflow proxies just the systems it
// touches (`proxyActivities<KubernetesActivities>(...)`). Type-only imports, so the workflow
// bundle gets no Node code. The names are the registered activity names (src/activities/index.ts
// registers them all on one worker), which recorded histories hold: they never change here.
import type { createCheckActivities } from './checks/index.js';
import type { createCloudWatchActivities } from './cloudwatch.js';
import type { createDatabaseActivities } from './database.js';
import type { createHelmActivities } from './helm.js';
import type { createHttpActivities } from './http.js';
import type { createKubernetesActivities } from './kubernetes/index.js';
import type { createLambdaActivities } from './lambda.js';
import type { createMigrationActivities } from './migrations/index.js';
import type { createNotifyActivities } from './notify.js';
import type { createRdsActivities } from './rds.js';
import type { createRoute53Activities } from './route53.js';
import type { createSecretActivities } from './secrets.js';
import type { createTemporalActivities } from './temporal.js';
import type { createTerraformActivities } from './terraform.js';

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
export type LambdaActivities = ReturnType<typeof createLambdaActivities>;
export type Route53Activities = ReturnType<typeof createRoute53Activities>;
export type HelmActivities = ReturnType<typeof createHelmActivities>;
export type MigrationActivities = ReturnType<typeof createMigrationActivities>;
export type SecretActivities = ReturnType<typeof createSecretActivities>;
export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
export type HttpActivities = ReturnType<typeof createHttpActivities>;
export type TemporalActivities = ReturnType<typeof createTemporalActivities>;
export type CheckActivities = ReturnType<typeof createCheckActivities>;
export type TerraformActivities = ReturnType<typeof createTerraformActivities>;
export type CloudWatchActivities = ReturnType<typeof createCloudWatchActivities>;
export type DatabaseActivities = ReturnType<typeof createDatabaseActivities>;
export type RdsActivities = ReturnType<typeof createRdsActivities>;
