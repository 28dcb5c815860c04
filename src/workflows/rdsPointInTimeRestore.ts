// Runbook "Point-in-Time Recovery": restore the source instance as of `restoreTime` (never later
// than `before`) into a new instance, monitor it until available, then verify and switch as for
// a snapshot restore. Each numbered step below is one step of the runbook; the helpers are shared
// with the snapshot restore (src/workflows/support/rdsRestore.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { RdsActivities } from '../activities/types.js';
import { resolveRestoreTime, restoreTimeAfterBefore, restoreTimeOutsideWindow } from '../domain/rdsRestore.js';
import type { RestoreResult, RestoreResumeState } from '../domain/restoreProgress.js';
import { rdsPointInTimeRestoreInput, type RdsPointInTimeRestoreInput } from '../domain/schemas/rdsRestore.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import {
  completedResult,
  currentEndpoints,
  dryRunResult,
  planRestore,
  RestoreTracker,
  restoreArgs,
  switchDatabaseHost,
  verifyRestoredInstance,
  waitUntilAvailable,
  type PlannedSource,
} from './support/rdsRestore.js';
import { verifyAfter } from './support/verifyAfter.js';

const rds = proxyActivities<RdsActivities>(cloudApiCall);

/** `resume` is given only by the workflow itself, when it continues as new during the wait. */
export async function rdsPointInTimeRestore(rawInput: unknown, resume?: RestoreResumeState): Promise<RestoreResult> {
  return asProcedure(async () => {
    const args = restoreArgs(rdsPointInTimeRestoreInput, rawInput, resume, 'rdsPointInTimeRestore');
    const input = args.input;
    const tracker = new RestoreTracker('rdsPointInTimeRestore', input, args.resume);
    return tracker.track(async () => {
      let state = args.resume;
      if (!state) {
        // 1. Fix the restore time (the pinned one, or capped at `before`) and check it against the
        //    source's restorable window.
        const plan = await planRestore(input, tracker, (base, pin) => chooseRestoreTime(input, base, pin));
        if (input.dryRun) return dryRunResult('rdsPointInTimeRestore', plan, input);

        // 2. Restore to that point in time into a new instance (with the source's settings; an
        //    instance a retried call already made from the same source and time is adopted).
        tracker.enter('restoring', `restoring ${plan.targetInstanceId}`);
        const started = await rds.restoreToPointInTime({
          ...plan.settings,
          sourceInstanceId: input.sourceInstanceId,
          restoreTime: plan.source.restoreTime,
          targetInstanceId: plan.targetInstanceId,
        });
        state = tracker.restoreStarted(plan, started);
      }

      // 3. Monitor the new instance until it is available (a long wait continues as new).
      const instance = await waitUntilAvailable(input, state, tracker);

      // 4. Verify the restored database, before anything points at it.
      const endpoints = await currentEndpoints(input, state.plan, instance);
      const checks = await verifyRestoredInstance(input, state.plan, instance, endpoints, tracker);

      // 5. Switch DATABASE_HOST to the new endpoint and wait for the rollout (switched back if it fails).
      const databaseHost = await switchDatabaseHost(input, state.plan, instance, endpoints, tracker);

      // 6. The input's checks, after the switch. None natural: step 4 queried the new instance.
      const changed = !state.adopted || (databaseHost?.changed ?? false);
      const after = await verifyAfter({
        changed,
        natural: [],
        given: input.verify,
        reason: `after restoring ${state.plan.sourceInstanceId} into ${instance.instanceId}`,
      });
      return completedResult(input, tracker, { state, instance, checks, databaseHost, changed, after });
    });
  });
}

/** The pinned time, or the input's capped at `before`, inside the source's restorable window. */
async function chooseRestoreTime(
  input: RdsPointInTimeRestoreInput,
  base: Omit<PlannedSource<never>, 'source'>,
  pin: RdsPointInTimeRestoreInput['pin'],
): Promise<PlannedSource<{ kind: 'point-in-time'; sourceInstanceId: string; restoreTime: string }>> {
  if (pin && !pin.restoreTime) {
    throw procedureFailure('InvalidInput', 'rdsPointInTimeRestore: invalid input: pin.restoreTime: Required');
  }
  if (pin?.restoreTime && input.restoreTime !== 'latest' && pin.restoreTime !== input.restoreTime) {
    throw procedureFailure(
      'InvalidInput',
      `rds: pin.restoreTime ${pin.restoreTime} differs from restoreTime ${input.restoreTime}`,
    );
  }
  const window = await rds.getRestorableWindow({ instanceId: input.sourceInstanceId });
  const restoreTime = pin?.restoreTime ?? resolveRestoreTime(input.restoreTime, input.before, window);
  const afterBefore = restoreTimeAfterBefore(restoreTime, input.before);
  if (afterBefore) throw procedureFailure('InvalidInput', `rds: restoreTime ${restoreTime} ${afterBefore}`);
  const outside = restoreTime === 'latest' ? undefined : restoreTimeOutsideWindow(restoreTime, window);
  if (outside) {
    throw procedureFailure(
      'InvalidInput',
      `rds: restoreTime ${restoreTime} ${outside} of instance "${input.sourceInstanceId}"`,
    );
  }
  return {
    ...base,
    restorableWindow: window,
    source: { kind: 'point-in-time', sourceInstanceId: input.sourceInstanceId, restoreTime },
  };
}
