// The pieces "Restore from Snapshot" and "Point-in-Time Recovery" share, one helper per step;
// each workflow file calls them in the runbook's order (src/workflows/rdsSnapshotRestore.ts).
//
// The wait is a loop of short polls separated by durable timers, so the worker holds nothing
// while RDS works and the time-skipping server can skip the pauses. A run continues as new when
// Temporal suggests it or its history passes CONTINUE_AS_NEW_AFTER_EVENTS; the next run gets the
// wait's state as its second argument.
import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ZodType, ZodTypeDef } from 'zod';
import type { DatabaseActivities, KubernetesActivities, RdsActivities } from '../../activities/types.js';
import {
  defaultTargetInstanceId,
  nextPollDelaySeconds,
  predictEndpoint,
  restoreSettings,
  type InstanceProgress,
  type RestoreSource,
} from '../../domain/rdsRestore.js';
import type { RestorePlan, RestoreResult, RestoreResumeState, RestoreStatus } from '../../domain/restoreProgress.js';
import {
  restoreResumeState,
  splitLegacyResume,
  type RdsRestorePin,
  type RestoreCommonInput,
} from '../../domain/schemas/rdsRestore.js';
import { describeFailures, failedChecks, type VerificationCheck } from '../../domain/verification.js';
import { cloudApiCall, databaseQuery, heartbeatingWait } from './activityOptions.js';
import { procedureFailure } from './failures.js';
import { parseInput } from './input.js';

export type RestoreStarted = Awaited<ReturnType<RdsActivities['restoreFromSnapshot']>>;

export const statusQuery = defineQuery<RestoreStatus>('status');

const rds = proxyActivities<RdsActivities>(cloudApiCall);
const rdsWait = proxyActivities<RdsActivities>(heartbeatingWait);
const kubernetes = proxyActivities<KubernetesActivities>(cloudApiCall);
const rollout = proxyActivities<KubernetesActivities>(heartbeatingWait);
const database = proxyActivities<DatabaseActivities>(databaseQuery);

/**
 * A run continues as new (between two polls, and before the steps after the wait) once its
 * history has this many events, or earlier when Temporal suggests it. Why 15: one poll adds 11
 * events (activity, timer, three workflow tasks) and the steps after the wait add at most 34
 * (new endpoint read, verification queries, set env, rollout wait, verification child, completion):
 * a run that stops at 15 stays under 50 events (issue 13 goal 4) however long the restore takes.
 */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 15;

/**
 * Runs started before CONTINUE_AS_NEW_AFTER_EVENTS have no marker of this patch in their history:
 * they keep the limits they were started with (LEGACY_LIMITS), so they replay.
 */
export const CONTINUE_AS_NEW_BOUND_PATCH = 'rds-continue-as-new-one-bound';
const LEGACY_LIMITS = { betweenPolls: 30, beforeSwitch: 21 } as const;

function runIsLong(where: keyof typeof LEGACY_LIMITS): boolean {
  const info = workflowInfo();
  if (!patched(CONTINUE_AS_NEW_BOUND_PATCH)) return info.historyLength >= LEGACY_LIMITS[where];
  return info.continueAsNewSuggested || info.historyLength >= CONTINUE_AS_NEW_AFTER_EVENTS;
}

/**
 * The input, parsed by the procedure's public schema, and the resume state: the second argument,
 * or `input.resume` of a run continued by an earlier version (see splitLegacyResume). Only a run
 * that continued as new has either: a caller's `resume` is refused like any unknown field.
 */
export function restoreArgs<T extends RestoreCommonInput>(
  schema: ZodType<T, ZodTypeDef, unknown>,
  rawInput: unknown,
  resume: unknown,
  workflowType: string,
): { input: T; resume?: RestoreResumeState } {
  const continued = workflowInfo().continuedFromExecutionRunId !== undefined;
  const { input, legacyResume } = continued
    ? splitLegacyResume(rawInput)
    : { input: rawInput, legacyResume: undefined };
  const parsed = parseInput(schema, input, workflowType);
  if (!continued && resume !== undefined) {
    throw procedureFailure(
      'InvalidInput',
      `${workflowType}: invalid input: (second argument): the resume state is set only by the workflow when it continues as new`,
    );
  }
  const given = resume ?? legacyResume;
  if (given === undefined) return { input: parsed };
  return { input: parsed, resume: parseInput(restoreResumeState, given, `${workflowType} (resume state)`) };
}

/** The owner of what the `status` query shows: each step changes it through these methods. */
export class RestoreTracker {
  private readonly status: RestoreStatus;

  constructor(
    readonly workflowType: string,
    input: RestoreCommonInput,
    resume: RestoreResumeState | undefined,
  ) {
    this.status = {
      workflowType,
      phase: 'planning',
      step: 'listing the restore source',
      plan: resume?.plan,
      maxWaitSeconds: input.maxWaitSeconds,
      run: resume?.run ?? 1,
    };
    if (resume?.progress) this.showProgress(resume.progress);
    setHandler(statusQuery, () => this.status);
  }

  enter(phase: RestoreStatus['phase'], step: string): void {
    this.status.phase = phase;
    this.status.step = step;
    log.info(`${this.workflowType}: ${step}`);
  }

  planned(plan: RestorePlan): void {
    this.status.plan = plan;
  }

  /** The restore call answered: the wait starts now, on the workflow's clock. */
  restoreStarted(plan: RestorePlan, started: RestoreStarted): RestoreResumeState {
    this.status.instance = { ...started.instance, elapsedSeconds: 0, polls: 0 };
    return { plan, adopted: started.adopted, waitStartedAtMs: Date.now(), polls: 0, run: 1 };
  }

  showProgress(progress: InstanceProgress): void {
    const { available: _available, ...shown } = progress;
    this.status.instance = shown;
    this.status.step = `${progress.instanceId} is ${progress.status} after ${progress.elapsedSeconds}s (${progress.polls} polls)`;
  }

  /** Runs the procedure; a real failure (not continue-as-new, which is thrown too) marks the status. */
  async track<R>(body: () => Promise<R>): Promise<R> {
    try {
      return await body();
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) {
        this.status.phase = 'failed';
        this.status.error = failureMessage(error);
      }
      throw error;
    }
  }
}

type PlanBase = Pick<RestorePlan, 'sourceInstanceId' | 'targetInstanceId' | 'before'>;
export type PlannedSource<S extends RestoreSource> = PlanBase &
  Pick<RestorePlan, 'snapshots' | 'restorableWindow'> & { source: S };

/**
 * The plan: the new instance's name, the source chosen by `chooseSource` (which checks the pin's
 * source against the input), the settings copied from the source instance and, with an app, its
 * DATABASE_HOST as it is now.
 */
export async function planRestore<S extends RestoreSource>(
  input: RestoreCommonInput,
  tracker: RestoreTracker,
  chooseSource: (base: PlanBase, pin: RdsRestorePin | undefined) => Promise<PlannedSource<S>>,
): Promise<RestorePlan & { source: S }> {
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
  // In this order (the source's calls first): running histories hold these three in one task.
  const [planned, source, currentHost] = await Promise.all([
    chooseSource({ sourceInstanceId: input.sourceInstanceId, targetInstanceId, before: input.before }, pin),
    rds.describeInstance({ instanceId: input.sourceInstanceId }),
    input.app ? kubernetes.getDeploymentEnv({ ...input.app, name: input.app.env }) : Promise.resolve(undefined),
  ]);
  const newEndpoint = predictEndpoint(source?.endpoint, input.sourceInstanceId, targetInstanceId);
  if (input.app) checkPinnedHost(input, pin, currentHost?.value, newEndpoint);
  const plan = {
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
  tracker.planned(plan);
  return plan;
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

/**
 * Polls until the new instance is available, pausing on durable timers. Continues as new (with
 * the wait's state as the next run's second argument) between polls and, once available, when
 * the run is too long for the steps after the wait.
 */
export async function waitUntilAvailable(
  input: RestoreCommonInput,
  state: RestoreResumeState,
  tracker: RestoreTracker,
): Promise<InstanceProgress> {
  tracker.enter('waiting', `waiting for ${state.plan.targetInstanceId} to become available`);
  const continueWait = () => continueAsNew(input, { ...state, run: state.run + 1 });
  const record = (progress: InstanceProgress) => {
    state.polls = progress.polls;
    state.progress = progress;
    tracker.showProgress(progress);
  };
  let progress = state.progress;
  while (!progress?.available) {
    progress = await rdsWait
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
    if (progress.available) break;
    await sleep(nextPollDelaySeconds(progress.polls, input.maxPollIntervalSeconds) * 1000);
    // The next run starts with the poll that is due now.
    if (runIsLong('betweenPolls')) await continueWait();
  }
  if (runIsLong('beforeSwitch')) await continueWait();
  return progress;
}

export interface Endpoints {
  /** Where the application (or, without one, the source instance) points now. */
  old: string;
  /** The restored instance's endpoint. */
  new: string;
}

/** The old and the new endpoint, as the failure messages name them. */
export async function currentEndpoints(
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
  const current = input.app ? await kubernetes.getDeploymentEnv({ ...input.app, name: input.app.env }) : undefined;
  const old = input.app
    ? (current?.value ?? '(unset)')
    : (plan.sourceEndpoint ?? `instance "${plan.sourceInstanceId}"`);
  return { old, new: instance.endpoint ?? '(no endpoint)' };
}

/** Runs the verification queries on the new instance; a failure leaves the application where it is. */
export async function verifyRestoredInstance(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
  endpoints: Endpoints,
  tracker: RestoreTracker,
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
  tracker.enter('verifying', `running ${rest.queries.length} verification queries on ${target} before switching`);
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
export async function switchDatabaseHost(
  input: RestoreCommonInput,
  plan: RestorePlan,
  instance: InstanceProgress,
  endpoints: Endpoints,
  tracker: RestoreTracker,
): Promise<RestoreResult['databaseHost']> {
  if (!input.app || !plan.databaseHost) return undefined;
  const app = input.app;
  const previous = endpoints.old === '(unset)' ? undefined : endpoints.old;
  checkPinnedHost(input, plan.pin, previous, endpoints.new);
  const ref = { namespace: app.namespace, deployment: app.deployment, container: app.container, name: app.env };
  tracker.enter('switching', `setting ${app.env}=${endpoints.new} on deployment/${app.deployment} in ${app.namespace}`);
  try {
    const set = await kubernetes.setDeploymentEnv({ ...ref, value: endpoints.new });
    tracker.enter(
      'verifying-app',
      `waiting for deployment/${app.deployment} to roll out with ${app.env}=${endpoints.new}`,
    );
    await rollout.waitForRollout({
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
    tracker.enter('switching-back', `setting ${app.env} back to ${previous} on deployment/${app.deployment}`);
    try {
      await kubernetes.setDeploymentEnv({ ...ref, value: previous });
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

/** What the run would do, and the pin an apply must be given to do exactly that. */
export function dryRunResult(workflowType: string, plan: RestorePlan, input: RestoreCommonInput): RestoreResult {
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

export interface RestoreOutcome {
  state: RestoreResumeState;
  instance: InstanceProgress;
  checks: VerificationCheck[];
  databaseHost: RestoreResult['databaseHost'];
  changed: boolean;
  /** The checks after the switch (verifyAfter). */
  after: { verification?: RestoreResult['verification']; healthy: boolean; suffix: string };
}

/** The result of a restore that ran to the end; marks the status completed. */
export function completedResult(
  input: RestoreCommonInput,
  tracker: RestoreTracker,
  { state, instance, checks, databaseHost, changed, after }: RestoreOutcome,
): RestoreResult {
  const { plan } = state;
  tracker.enter(
    'completed',
    `${plan.targetInstanceId} is available${input.verifyQueries ? ' and verified' : ' (not verified: no verification queries given)'}`,
  );
  return {
    workflowType: tracker.workflowType,
    dryRun: false,
    changed,
    verified: input.verifyQueries !== undefined && after.healthy,
    ...(after.verification ? { verification: after.verification } : {}),
    from: describeInstance(plan.sourceInstanceId, plan.sourceEndpoint),
    to: describeInstance(instance.instanceId, instance.endpoint),
    plan,
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
    message: `${completionMessage(plan, instance, databaseHost, checks)}${after.suffix}`,
  };
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
