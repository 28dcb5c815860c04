// The part of "Restore from Snapshot" and "Point-in-Time Recovery" that is the same for both:
// wait for the new instance, verify it, only then switch the application to it, and check that
// the application rolled out (switching back when it did not). Each workflow brings its own plan
// (which data) and restore call; this module runs the rest and answers the `status` query.
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
  isCancellation,
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
  restoreSettings,
  type InstanceProgress,
} from '../../domain/rdsRestore.js';
import type { RestorePlan, RestoreResult, RestoreResumeState, RestoreStatus } from '../../domain/restoreProgress.js';
import type { RdsRestorePin, RestoreCommonInput } from '../../domain/schemas/rdsRestore.js';
import { describeFailures, failedChecks, type VerificationCheck } from '../../domain/verification.js';
import { cloudApiCall, databaseQuery, heartbeatingWait } from './activityOptions.js';
import { procedureFailure } from './failures.js';
import { verifyAfter } from './verifyAfter.js';

type RdsRestoreCall = Awaited<ReturnType<Activities['restoreFromSnapshot']>>;

export const statusQuery = defineQuery<RestoreStatus>('status');

const aws = proxyActivities<Activities>(cloudApiCall);
const waiting = proxyActivities<Activities>(heartbeatingWait);
const database = proxyActivities<Activities>(databaseQuery);

/** A run continues as new once its history reaches this many events while waiting... */
export const WAIT_EVENTS_PER_RUN = 30;
/** ...and before verification, switch and rollout (up to about 28 events) when it is past this many. */
export const SWITCH_EVENTS_LIMIT = 20;

type PlanBase = Pick<RestorePlan, 'sourceInstanceId' | 'targetInstanceId' | 'before'>;

export interface RestoreSteps {
  /** Step 1: which data to restore (a snapshot, a point in time; the pinned one when given), checked against RDS. */
  plan(
    base: PlanBase,
    pin?: RdsRestorePin,
  ): Promise<PlanBase & Pick<RestorePlan, 'source' | 'snapshots' | 'restorableWindow'>>;
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
      if (input.dryRun) return dryRunResult(workflowType, plan, input);
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

    // 4. Verify the restored database, before anything points at it.
    const endpoints = await currentEndpoints(input, state.plan, instance);
    const checks = await verifyNewInstance(input, state.plan, instance, endpoints, enter);

    // 5. Update the application to use the new endpoint, then check that it rolled out.
    const databaseHost = await switchDatabaseHost(input, state.plan, instance, endpoints, enter);

    // 6. The input's checks, after the switch. None natural: step 4 queried the new instance.
    const changed = !state.adopted || (databaseHost?.changed ?? false);
    const { verification, healthy, suffix } = await verifyAfter({
      changed,
      natural: [],
      given: input.verify,
      reason: `after restoring ${state.plan.sourceInstanceId} into ${instance.instanceId}`,
    });

    enter(
      'completed',
      `${state.plan.targetInstanceId} is available${input.verifyQueries ? ' and verified' : ' (not verified: no verification queries given)'}`,
    );
    return {
      workflowType,
      dryRun: false,
      changed,
      verified: input.verifyQueries !== undefined && healthy,
      ...(verification ? { verification } : {}),
      from: describeInstance(state.plan.sourceInstanceId, state.plan.sourceEndpoint),
      to: describeInstance(instance.instanceId, instance.endpoint),
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
      message: `${completionMessage(state.plan, instance, databaseHost, checks)}${suffix}`,
    };
  } catch (error) {
    // continue-as-new is thrown too: only real failures mark the status.
    if (!(error instanceof ContinueAsNew)) {
      status.phase = 'failed';
      status.error = failureMessage(error);
    }
    throw error;
  }
}

async function makePlan(input: RestoreCommonInput, steps: RestoreSteps): Promise<RestorePlan> {
  const pin = input.pin;
  if (pin && input.targetInstanceId && pin.targetInstanceId !== input.targetInstanceId) {
    throw procedureFailure(
      'InvalidInput',
      `rds: pin.targetInstanceId "${pin.targetInstanceId}" differs from targetInstanceId "${input.targetInstanceId}"`,
    );
  }
  const targetInstanceId =
    pin?.targetInstanceId ??
    input.targetInstanceId ??
    defaultTargetInstanceId(input.sourceInstanceId, new Date(workflowInfo().startTime));
  if (targetInstanceId === input.sourceInstanceId) {
    throw procedureFailure(
      'InvalidInput',
      `rds: targetInstanceId must differ from sourceInstanceId "${input.sourceInstanceId}"`,
    );
  }
  const [planned, source, currentHost] = await Promise.all([
    steps.plan({ sourceInstanceId: input.sourceInstanceId, targetInstanceId, before: input.before }, pin),
    aws.describeInstance({ instanceId: input.sourceInstanceId }),
    input.app ? aws.getDeploymentEnv({ ...input.app, name: input.app.env }) : Promise.resolve(undefined),
  ]);
  const newEndpoint = predictEndpoint(source?.endpoint, input.sourceInstanceId, targetInstanceId);
  if (input.app) checkPinnedHost(input, pin, currentHost?.value, newEndpoint);
  return {
    ...planned,
    sourceEndpoint: source?.endpoint,
    settings: restoreSettings(input, source?.settings),
    pin,
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

/**
 * With a pin, the application must still point where it did when the plan was made (or already
 * at the planned instance: a repeated apply); otherwise someone else moved it and a person must
 * plan again.
 */
function checkPinnedHost(
  input: RestoreCommonInput,
  pin: RdsRestorePin | undefined,
  current: string | undefined,
  newEndpoint: string | undefined,
): void {
  if (!input.app || !pin || pin.databaseHost === undefined) return;
  if ((current ?? null) === pin.databaseHost || (current !== undefined && current === newEndpoint)) return;
  throw procedureFailure(
    'TargetChanged',
    `rds: ${input.app.env} of deployment/${input.app.deployment} in ${input.app.namespace} is now ${current ?? '(unset)'}, not the pinned ${pin.databaseHost ?? '(unset)'}; plan again`,
  );
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

interface Endpoints {
  /** Where the application (or, without one, the source instance) points now. */
  old: string;
  /** The restored instance's endpoint. */
  new: string;
}

/** The old and the new endpoint, as the failure messages name them. */
async function currentEndpoints(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
): Promise<Endpoints> {
  if (!instance.endpoint && (input.app || input.verifyQueries)) {
    throw procedureFailure(
      'VerificationFailed',
      `rds: instance "${instance.instanceId}" is available but reports no endpoint`,
    );
  }
  const current = input.app ? await aws.getDeploymentEnv({ ...input.app, name: input.app.env }) : undefined;
  const old = input.app
    ? (current?.value ?? '(unset)')
    : (plan.sourceEndpoint ?? `instance "${plan.sourceInstanceId}"`);
  return { old, new: instance.endpoint ?? '(no endpoint)' };
}

/** Runs the verification queries on the new instance; a failure leaves the application where it is. */
async function verifyNewInstance(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
  endpoints: Endpoints,
  enter: (phase: RestoreStatus['phase'], step: string) => void,
): Promise<VerificationCheck[]> {
  if (!input.verifyQueries) return [];
  const { host, port, ...rest } = input.verifyQueries;
  const target = host ?? endpoints.new;
  const kept = input.app
    ? `${input.app.env} of deployment/${input.app.deployment} stays ${endpoints.old}`
    : `nothing was switched; the source stays at ${endpoints.old}`;
  const failed = (why: string, cause?: Error) =>
    procedureFailure(
      'VerificationFailed',
      `rds: verification of restored instance "${instance.instanceId}" (${endpoints.new}) failed: ${why}; ${kept}`,
      cause,
    );
  enter('verifying', `running ${rest.queries.length} verification queries on ${target} before switching`);
  let checks: VerificationCheck[];
  try {
    checks = await database.verifyDatabase({ ...rest, host: target, port: port ?? instance.port ?? 5432 });
  } catch (error) {
    if (isCancellation(error)) throw error;
    throw failed(failureMessage(error), error as Error);
  }
  if (failedChecks(checks).length > 0) throw failed(describeFailures(checks));
  log.info(`${plan.targetInstanceId}: ${checks.length} verification queries passed`);
  return checks;
}

/**
 * `kubectl set env` to the new endpoint, then `kubectl rollout status`. When either fails, the
 * old value is set back (the same idempotent call) and the procedure fails naming both endpoints.
 */
async function switchDatabaseHost(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
  endpoints: Endpoints,
  enter: (phase: RestoreStatus['phase'], step: string) => void,
): Promise<RestoreResult['databaseHost']> {
  if (!input.app || !plan.databaseHost) return undefined;
  const app = input.app;
  const previous = endpoints.old === '(unset)' ? undefined : endpoints.old;
  checkPinnedHost(input, plan.pin, previous, endpoints.new);
  const ref = { namespace: app.namespace, deployment: app.deployment, container: app.container, name: app.env };
  enter('switching', `setting ${app.env}=${endpoints.new} on deployment/${app.deployment} in ${app.namespace}`);
  try {
    const set = await aws.setDeploymentEnv({ ...ref, value: endpoints.new });
    enter('verifying-app', `waiting for deployment/${app.deployment} to roll out with ${app.env}=${endpoints.new}`);
    await waiting.waitForRollout({
      namespace: app.namespace,
      deployment: app.deployment,
      timeoutSeconds: app.rolloutTimeoutSeconds,
    });
    return { ...plan.databaseHost, from: set.previous, to: endpoints.new, changed: set.changed };
  } catch (error) {
    // A cancelled restore leaves the application on the new instance, which passed verification.
    if (isCancellation(error)) throw error;
    const what = `rds: deployment/${app.deployment} in ${app.namespace} did not roll out with ${app.env}=${endpoints.new} (restored instance "${instance.instanceId}") (${failureMessage(error)})`;
    if (previous === endpoints.new) {
      throw procedureFailure(
        'VerificationFailed',
        `${what}; ${app.env} was already that before this run`,
        error as Error,
      );
    }
    if (previous === undefined) {
      throw procedureFailure(
        'VerificationFailed',
        `${what}; ${app.env} was unset before, so it cannot be switched back: remove it by hand`,
        error as Error,
      );
    }
    enter('switching-back', `setting ${app.env} back to ${previous} on deployment/${app.deployment}`);
    try {
      await aws.setDeploymentEnv({ ...ref, value: previous });
    } catch (backError) {
      throw procedureFailure(
        'VerificationFailed',
        `${what}; switching ${app.env} back to ${previous} FAILED (${failureMessage(backError)}): it may still be ${endpoints.new}`,
        error as Error,
      );
    }
    throw procedureFailure('VerificationFailed', `${what}; switched ${app.env} back to ${previous}`, error as Error);
  }
}

/** An activity's own message ("deployment ... exceeded its progress deadline"), not Temporal's wrapper. */
function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** `"orders-prod" (orders-prod.abc.us-east-1.rds.amazonaws.com)`: the contract's from and to. */
function describeInstance(instanceId: string, endpoint?: string): string {
  return endpoint ? `instance "${instanceId}" (${endpoint})` : `instance "${instanceId}"`;
}

function dryRunResult(workflowType: string, plan: RestorePlan, input: RestoreCommonInput): RestoreResult {
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
  const pin: RdsRestorePin = {
    ...(plan.source.kind === 'snapshot'
      ? { snapshotId: plan.source.snapshotId }
      : { restoreTime: pinnedRestoreTime(plan.source.restoreTime, plan.restorableWindow?.latest) }),
    targetInstanceId: plan.targetInstanceId,
    ...(input.app ? { databaseHost: plan.databaseHost?.from ?? null } : {}),
  };
  return {
    workflowType,
    dryRun: true,
    changed: false,
    verified: false,
    from: describeInstance(plan.sourceInstanceId, plan.sourceEndpoint),
    to: describeInstance(plan.targetInstanceId, plan.newEndpoint),
    pin,
    plan,
    adopted: false,
    checks: [],
    waitedSeconds: 0,
    polls: 0,
    message,
  };
}

/** "latest" moves on while a plan waits for approval: the pin fixes the time the plan showed. */
function pinnedRestoreTime(restoreTime: string, latest: string | undefined): string {
  return restoreTime === 'latest' && latest ? latest : restoreTime;
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
  if (checks.length > 0) parts.push(`${checks.length} verification queries passed before the switch`);
  return parts.join('; ');
}
