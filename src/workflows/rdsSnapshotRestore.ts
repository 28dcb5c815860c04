// Runbook "Restore from Snapshot": list recent snapshots (taken before the corruption was
// detected), restore one into a new instance, wait for it, verify the data, then point the
// application's DATABASE_HOST at it. Each numbered step below is one step of the runbook; the
// helpers are shared with the point-in-time recovery (src/workflows/support/rdsRestore.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { RdsActivities } from '../activities/types.js';
import { snapshotAfterBefore, type SnapshotInfo } from '../domain/rdsRestore.js';
import type { RestoreResult, RestoreResumeState } from '../domain/restoreProgress.js';
import { rdsSnapshotRestoreInput, type RdsSnapshotRestoreInput } from '../domain/schemas/rdsRestore.js';
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
export async function rdsSnapshotRestore(rawInput: unknown, resume?: RestoreResumeState): Promise<RestoreResult> {
  return asProcedure(async () => {
    const args = restoreArgs(rdsSnapshotRestoreInput, rawInput, resume, 'rdsSnapshotRestore');
    const input = args.input;
    const tracker = new RestoreTracker('rdsSnapshotRestore', input, args.resume);
    return tracker.track(async () => {
      let state = args.resume;
      if (!state) {
        // 1. List recent snapshots (the newest 5 before `before`) and take the newest available,
        //    or check the one given or pinned.
        const plan = await planRestore(input, tracker, (base, pin) => chooseSnapshot(input, base, pin));
        if (input.dryRun) return dryRunResult('rdsSnapshotRestore', plan, input);

        // 2. Restore the snapshot into a new instance (with the source's settings; an instance a
        //    retried call already made from the same snapshot is adopted).
        tracker.enter('restoring', `restoring ${plan.targetInstanceId}`);
        const started = await rds.restoreFromSnapshot({
          ...plan.settings,
          snapshotId: plan.source.snapshotId,
          targetInstanceId: plan.targetInstanceId,
        });
        state = tracker.restoreStarted(plan, started);
      }

      // 3. Wait until the new instance is available (a long wait continues as new).
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

/** The snapshot given or pinned (checked to be from before `before`), else the newest available. */
async function chooseSnapshot(
  input: RdsSnapshotRestoreInput,
  base: Omit<PlannedSource<never>, 'source'>,
  pin: RdsSnapshotRestoreInput['pin'],
): Promise<PlannedSource<{ kind: 'snapshot'; snapshotId: string }>> {
  if (pin && !pin.snapshotId) {
    throw procedureFailure('InvalidInput', 'rdsSnapshotRestore: invalid input: pin.snapshotId: Required');
  }
  if (pin?.snapshotId && input.snapshotId && pin.snapshotId !== input.snapshotId) {
    throw procedureFailure(
      'InvalidInput',
      `rds: pin.snapshotId "${pin.snapshotId}" differs from snapshotId "${input.snapshotId}"`,
    );
  }
  const wanted = pin?.snapshotId ?? input.snapshotId;
  const [snapshots, given] = await Promise.all([
    rds.listSnapshots({ instanceId: input.sourceInstanceId, before: input.before }),
    wanted ? rds.getSnapshot({ snapshotId: wanted, instanceId: input.sourceInstanceId }) : Promise.resolve(undefined),
  ]);
  const tooLate = given && snapshotAfterBefore(given, input.before);
  if (tooLate) throw procedureFailure('InvalidInput', `rds: ${tooLate}`);
  const snapshotId = (given ?? newestAvailable(snapshots, input)).snapshotId;
  return { ...base, snapshots, source: { kind: 'snapshot', snapshotId } };
}

function newestAvailable(snapshots: SnapshotInfo[], input: RdsSnapshotRestoreInput): SnapshotInfo {
  const newest = snapshots.find((s) => s.status === 'available');
  if (!newest) {
    const before = input.before ? ` created before ${input.before}` : '';
    throw procedureFailure(
      'NotFound',
      `rds: instance "${input.sourceInstanceId}" has no available snapshot${before} to restore from`,
    );
  }
  return newest;
}
