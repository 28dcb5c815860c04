// The verification suite's registry (issue 12, docs/verification.md): one entry per check, each
// served by the module of its provider (http, prometheus, cloudwatch, kubernetes, database,
// route53, terraform). The one activity, `runVerificationCheck`, takes ONE reading of one check
// and returns the one result shape; the workflow (workflows/support/verification.ts) repeats
// readings within the check's time limit. A provider that throws reads as `unreadable`: an
// unreadable source is never passed.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { checkInput, type CheckName, type CheckOf, type CheckSpec } from '../../domain/schemas/verifyRollback.js';
import { reading, type CheckResult } from '../../domain/verification.js';
import { describeZodError } from '../../domain/validation.js';
import type { KubeClient } from '../kubernetes/client.js';
import { nonRetryable } from '../failures.js';
import { createCloudWatchChecks } from './cloudwatch.js';
import { createDatabaseChecks } from './database.js';
import { errorRateFromHealthUrl, httpHealth, latencyFromRequests } from './http.js';
import { createKubernetesChecks } from './kubernetes.js';
import { errorRateFromPrometheus, latencyFromPrometheus } from './prometheus.js';
import { createRoute53Checks } from './route53.js';
import { createTerraformChecks } from './terraform.js';

/** The one interface every check implements: one reading of its spec. */
export type CheckProvider<N extends CheckName> = (spec: CheckOf<N>) => Promise<CheckResult>;
export type CheckRegistry = { [N in CheckName]: CheckProvider<N> };

export interface CheckDependencies {
  cloudwatch: CloudWatchClient;
  route53: Route53Client;
  kube: () => KubeClient;
  env?: NodeJS.ProcessEnv;
  /** config.terraform: the Terraform binary (TERRAFORM_BIN), else the OpenTofu `npm run tools` built. */
  terraform?: { bin?: string };
}

export function checkRegistry(deps: CheckDependencies): CheckRegistry {
  const cloudwatch = createCloudWatchChecks(deps.cloudwatch);
  const kubernetes = createKubernetesChecks(deps.kube);
  const database = createDatabaseChecks(deps.env);
  const route53 = createRoute53Checks(deps.route53);
  const terraform = createTerraformChecks(deps.terraform);
  return {
    httpHealth,
    errorRate: (spec) =>
      spec.source.type === 'healthUrl'
        ? errorRateFromHealthUrl(spec, spec.source.url)
        : spec.source.type === 'prometheus'
          ? errorRateFromPrometheus(spec, spec.source)
          : cloudwatch.errorRateFromMetrics(spec, spec.source),
    latency: (spec) =>
      spec.source.type === 'requests'
        ? latencyFromRequests(spec, spec.source.url, spec.source.requests)
        : latencyFromPrometheus(spec, spec.source),
    podStatus: (spec) => kubernetes.podStatus(spec),
    logErrors: (spec) => kubernetes.logErrors(spec),
    cloudwatchAlarms: (spec) => cloudwatch.cloudwatchAlarms(spec),
    databaseIntegrity: (spec) => database.databaseIntegrity(spec),
    replicationLag: (spec) => cloudwatch.replicationLag(spec),
    dnsRecord: (spec) => route53.dnsRecord(spec),
    terraformPlanClean: (spec) => terraform.terraformPlanClean(spec),
  };
}

export function createCheckActivities(deps: CheckDependencies) {
  const registry = checkRegistry(deps);

  /** One reading of one check. Idempotent: it only reads. */
  async function runVerificationCheck(raw: CheckSpec): Promise<CheckResult> {
    const parsed = checkInput.safeParse(raw);
    if (!parsed.success) {
      throw nonRetryable('InvalidInput', `verification: invalid check: ${describeZodError(parsed.error)}`);
    }
    const spec = parsed.data;
    const provider = registry[spec.check] as CheckProvider<CheckName>;
    try {
      return await provider(spec as CheckOf<CheckName>);
    } catch (error) {
      return reading(
        { check: spec.check, target: spec.check, expected: 'a reading' },
        'unreadable',
        'not readable',
        new Date().toISOString(),
        { detail: (error as Error).message },
      );
    }
  }

  return { runVerificationCheck };
}

export type CheckActivities = ReturnType<typeof createCheckActivities>;
