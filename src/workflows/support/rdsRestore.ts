// The part of "Restore from Snapshot" and "Point-in-Time Recovery" that is the same for both:
// wait for the new instance, switch the application to it, verify the database. Each workflow
// brings its own plan (which data) and restore call; this module runs the rest and answers the
// `status` query.
//
// The wait is a loop of short polls separated by durable timers, so the worker holds nothing
// while RDS works and the time-skipping server can skip the pauses. Each poll reaches the
// workflow's state (the `status` query shows it); history grows by about ten events per poll, so
// the workflow continues as new every few polls: a run's history stays under 50 events however
// long the restore takes.
import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import {
  defaultTargetInstanceId,
  nextPollDelaySeconds,
  predictEndpoint,
  type InstanceProgress,
} from '../../domain/rdsRestore.js';
import type { RestorePlan, RestoreResult, RestoreResumeState, RestoreStatus } from '../../domain/restoreProgress.js';
import type { RestoreCommonInput } from '../../domain/schemas/rdsRestore.js';
import { describeFailures, failedChecks, type VerificationCheck } from '../../domain/verification.js';
import { cloudApiCall, databaseQuery, heartbeatingWait } from './activityOptions.js';
import { procedureFailure } from './failures.js';

type RdsRestoreCall = Awaited<ReturnType<Activities['restoreFromSnapshot']>>;

export const statusQuery = defineQuery<RestoreStatus>('status');

const aws = proxyActivities<Activities>(cloudApiCall);
const waiting = proxyActivities<Activities>(heartbeatingWait);
const database = proxyActivities<Activities>(databaseQuery);

/** A run continues as new once its history reaches this many events while waiting... */
export const WAIT_EVENTS_PER_RUN = 30;
/** ...and before the switch and verification (about 20 events) when it is past this many. */
export const SWITCH_EVENTS_LIMIT = 26;

export interface RestoreSteps {
  /** Step 1: which data to restore (a snapshot, a point in time), checked against RDS. */
  plan(base: Pick<RestorePlan, 'sourceInstanceId' | 'targetInstanceId'>): Promise<Omit<RestorePlan, 'databaseHost'>>;
  /** Step 2: start the restore into `plan.targetInstanceId` (adopting it if already there). */
  restore(plan: RestorePlan): Promise<RdsRestoreCall>;
}

export async function runRestore(
  workflowType: string,
  input: RestoreCommonInput,
  steps: RestoreSteps,
): Promise<RestoreResult> {
  const resume = input.resume;
  const status: RestoreStatus = {
    workflowType,
    phase: 'planning',
    step: 'listing the restore source',
    plan: resume?.plan,
    maxWaitSeconds: input.maxWaitSeconds,
    run: resume?.run ?? 1,
  };
  if (resume?.progress) showProgress(status, resume.progress);
  setHandler(statusQuery, () => status);
  const enter = (phase: RestoreStatus['phase'], step: string) => {
    status.phase = phase;
    status.step = step;
    log.info(`${workflowType}: ${step}`);
  };

  try {
    let state: RestoreResumeState;
    if (resume) {
      state = resume;
    } else {
      const plan = await makePlan(input, steps);
      status.plan = plan;
      if (input.dryRun) return dryRunResult(workflowType, plan);
      enter('restoring', `restoring ${plan.targetInstanceId}`);
      const restored = await steps.restore(plan);
      status.instance = { ...restored.instance, elapsedSeconds: 0, polls: 0 };
      state = { plan, adopted: restored.adopted, waitStartedAtMs: Date.now(), polls: 0, run: 1 };
    }

    // 3. Wait for restoration (continues as new every few polls).
    enter('waiting', `waiting for ${state.plan.targetInstanceId} to become available`);
    const instance = state.progress?.available ? state.progress : await waitForAvailable(input, state, status);
    if (workflowInfo().historyLength > SWITCH_EVENTS_LIMIT) {
      await continueAsNew({ ...input, resume: { ...state, run: state.run + 1 } });
    }

    // 4. Update the application to use the new endpoint.
    const databaseHost = await switchDatabaseHost(input, state.plan, instance, enter);

    // 5. Verify the restored database.
    const checks = await verifyDatabase(input, instance, enter);

    enter('completed', `${state.plan.targetInstanceId} is available and verified`);
    return {
      workflowType,
      dryRun: false,
      plan: state.plan,
      adopted: state.adopted,
      instance: {
        instanceId: instance.instanceId,
        status: instance.status,
        endpoint: instance.endpoint,
        port: instance.port,
      },
      databaseHost,
      checks,
      waitedSeconds: instance.elapsedSeconds,
      polls: instance.polls,
      message: completionMessage(state.plan, instance, databaseHost, checks),
    };
  } catch (error) {
    // continue-as-new is thrown too: only real failures mark the status.
    if (!(error instanceof ContinueAsNew)) {
      status.phase = 'failed';
      status.error =
        error instanceof Error ? (error.cause instanceof Error ? error.cause : error).message : String(error);
    }
    throw error;
  }
}

async function makePlan(input: RestoreCommonInput, steps: RestoreSteps): Promise<RestorePlan> {
  const targetInstanceId =
    input.targetInstanceId ?? defaultTargetInstanceId(input.sourceInstanceId, new Date(workflowInfo().startTime));
  const [planned, source, currentHost] = await Promise.all([
    steps.plan({ sourceInstanceId: input.sourceInstanceId, targetInstanceId }),
    aws.describeInstance({ instanceId: input.sourceInstanceId }),
    input.app ? aws.getDeploymentEnv({ ...input.app, name: input.app.env }) : Promise.resolve(undefined),
  ]);
  if (planned.targetInstanceId === input.sourceInstanceId) {
    throw procedureFailure(
      'InvalidInput',
      `rds: targetInstanceId must differ from sourceInstanceId "${input.sourceInstanceId}"`,
    );
  }
  const newEndpoint = predictEndpoint(source?.endpoint, input.sourceInstanceId, targetInstanceId);
  return {
    ...planned,
    newEndpoint,
    databaseHost: input.app && {
      namespace: input.app.namespace,
      deployment: input.app.deployment,
      env: input.app.env,
      from: currentHost?.value,
      to: newEndpoint,
    },
  };
}

async function waitForAvailable(
  input: RestoreCommonInput,
  state: RestoreResumeState,
  status: RestoreStatus,
): Promise<InstanceProgress> {
  const record = (progress: InstanceProgress) => {
    state.polls = progress.polls;
    state.progress = progress;
    showProgress(status, progress);
  };
  for (;;) {
    const progress = await waiting
      .waitForInstanceAvailable({
        instanceId: state.plan.targetInstanceId,
        waitStartedAtMs: state.waitStartedAtMs,
        polls: state.polls,
        maxWaitSeconds: input.maxWaitSeconds,
        pollWindowSeconds: input.pollWindowSeconds,
      })
      .catch((error: unknown) => {
        // A terminal state carries the last progress: show it before failing.
        const details =
          error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
            ? error.cause.details
            : undefined;
        if (details?.[0]) record(details[0] as InstanceProgress);
        throw error;
      });
    record(progress);
    if (progress.available) return progress;
    await sleep(nextPollDelaySeconds(progress.polls, input.maxPollIntervalSeconds) * 1000);
    // The next run starts with the poll that is due now.
    if (workflowInfo().historyLength >= WAIT_EVENTS_PER_RUN) {
      await continueAsNew({ ...input, resume: { ...state, run: state.run + 1 } });
    }
  }
}

function showProgress(status: RestoreStatus, progress: InstanceProgress): void {
  const { available: _available, ...shown } = progress;
  status.instance = shown;
  status.step = `${progress.instanceId} is ${progress.status} after ${progress.elapsedSeconds}s (${progress.polls} polls)`;
}

async function switchDatabaseHost(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
  enter: (phase: RestoreStatus['phase'], step: string) => void,
): Promise<RestoreResult['databaseHost']> {
  if (!input.app || !plan.databaseHost) return undefined;
  if (!instance.endpoint) {
    throw procedureFailure(
      'VerificationFailed',
      `rds: instance "${instance.instanceId}" is available but reports no endpoint`,
    );
  }
  const app = input.app;
  enter('switching', `setting ${app.env}=${instance.endpoint} on deployment/${app.deployment} in ${app.namespace}`);
  const set = await aws.setDeploymentEnv({
    namespace: app.namespace,
    deployment: app.deployment,
    container: app.container,
    name: app.env,
    value: instance.endpoint,
  });
  await waiting.waitForRollout({
    namespace: app.namespace,
    deployment: app.deployment,
    timeoutSeconds: app.rolloutTimeoutSeconds,
  });
  return { ...plan.databaseHost, from: set.previous, to: instance.endpoint, changed: set.changed };
}

async function verifyDatabase(
  input: RestoreCommonInput,
  instance: InstanceProgress,
  enter: (phase: RestoreStatus['phase'], step: string) => void,
): Promise<VerificationCheck[]> {
  if (!input.verify) return [];
  const { host, port, ...rest } = input.verify;
  const target = host ?? instance.endpoint;
  if (!target) {
    throw procedureFailure(
      'VerificationFailed',
      `rds: instance "${instance.instanceId}" reports no endpoint to verify`,
    );
  }
  enter('verifying', `running ${rest.queries.length} verification queries on ${target}`);
  const checks = await database.verifyDatabase({ ...rest, host: target, port: port ?? instance.port ?? 5432 });
  if (failedChecks(checks).length > 0) {
    throw procedureFailure(
      'VerificationFailed',
      `database verification failed on instance "${instance.instanceId}": ${describeFailures(checks)}`,
    );
  }
  return checks;
}

function dryRunResult(workflowType: string, plan: RestorePlan): RestoreResult {
  const from =
    plan.source.kind === 'snapshot'
      ? `snapshot "${plan.source.snapshotId}"`
      : `instance "${plan.source.sourceInstanceId}" at ${plan.source.restoreTime}`;
  const host = plan.databaseHost
    ? `, then set ${plan.databaseHost.env} on deployment/${plan.databaseHost.deployment} from ${plan.databaseHost.from ?? '(unset)'} to ${plan.databaseHost.to ?? 'the new endpoint'}`
    : '';
  const endpoint = plan.newEndpoint ? ` (endpoint ${plan.newEndpoint})` : '';
  const message = `dry run: would restore ${from} into new instance "${plan.targetInstanceId}"${endpoint}${host}`;
  log.info(message);
  return { workflowType, dryRun: true, plan, adopted: false, checks: [], waitedSeconds: 0, polls: 0, message };
}

function completionMessage(
  plan: RestorePlan,
  instance: InstanceProgress,
  databaseHost: RestoreResult['databaseHost'],
  checks: VerificationCheck[],
): string {
  const parts = [
    `instance "${plan.targetInstanceId}" available at ${instance.endpoint ?? '(no endpoint)'} after ${instance.elapsedSeconds}s`,
  ];
  if (databaseHost) {
    parts.push(
      databaseHost.changed
        ? `${databaseHost.env} switched from ${databaseHost.from ?? '(unset)'} to ${databaseHost.to}`
        : `${databaseHost.env} already ${databaseHost.to}`,
    );
  }
  if (checks.length > 0) parts.push(`${checks.length} verification queries passed`);
  return parts.join('; ');
}
