// Runbook "Restore from Snapshot": list recent snapshots (taken before the corruption was
// detected), restore one into a new instance, wait for it, verify the data, then point the
// application's DATABASE_HOST at it.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { snapshotAfterBefore, type SnapshotInfo } from '../domain/rdsRestore.js';
import type { RestoreResult } from '../domain/restoreProgress.js';
import { rdsSnapshotRestoreInput, type RdsSnapshotRestoreInput } from '../domain/schemas/rdsRestore.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { runRestore } from './support/rdsRestore.js';

const rds = proxyActivities<Activities>(cloudApiCall);

export async function rdsSnapshotRestore(rawInput: unknown): Promise<RestoreResult> {
  return asProcedure(async () => {
    const input = parseInput(rdsSnapshotRestoreInput, rawInput, 'rdsSnapshotRestore');
    let snapshotId = '';
    return runRestore('rdsSnapshotRestore', input, {
      // 1. List recent snapshots (the newest 5 before `before`), or check the one given or pinned.
      async plan(base, pin) {
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
          wanted
            ? rds.getSnapshot({ snapshotId: wanted, instanceId: input.sourceInstanceId })
            : Promise.resolve(undefined),
        ]);
        const tooLate = given && snapshotAfterBefore(given, input.before);
        if (tooLate) throw procedureFailure('InvalidInput', `rds: ${tooLate}`);
        snapshotId = (given ?? chooseNewest(snapshots, input)).snapshotId;
        return { ...base, snapshots, source: { kind: 'snapshot', snapshotId } };
      },
      // 2. Restore from the snapshot (creates the new instance with the source's settings).
      restore: (plan) =>
        rds.restoreFromSnapshot({ ...plan.settings, snapshotId, targetInstanceId: plan.targetInstanceId }),
    });
  });
}

function chooseNewest(snapshots: SnapshotInfo[], input: RdsSnapshotRestoreInput): SnapshotInfo {
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
