// Runbook "Restore from Snapshot": list recent snapshots, restore one into a new instance, wait
// for it, point the application's DATABASE_HOST at it, verify the data.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SnapshotInfo } from '../domain/rdsRestore.js';
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
      // 1. List recent snapshots (the newest 5), or check the one given.
      async plan(base) {
        const [snapshots, given] = await Promise.all([
          rds.listSnapshots({ instanceId: input.sourceInstanceId }),
          input.snapshotId
            ? rds.getSnapshot({ snapshotId: input.snapshotId, instanceId: input.sourceInstanceId })
            : Promise.resolve(undefined),
        ]);
        snapshotId = (given ?? chooseNewest(snapshots, input)).snapshotId;
        return { ...base, snapshots, source: { kind: 'snapshot', snapshotId } };
      },
      // 2. Restore from the snapshot (creates the new instance).
      restore: (plan) =>
        rds.restoreFromSnapshot({
          snapshotId,
          targetInstanceId: plan.targetInstanceId,
          instanceClass: input.instanceClass,
          securityGroupIds: input.securityGroupIds,
          subnetGroupName: input.subnetGroupName,
        }),
    });
  });
}

function chooseNewest(snapshots: SnapshotInfo[], input: RdsSnapshotRestoreInput): SnapshotInfo {
  const newest = snapshots.find((s) => s.status === 'available');
  if (!newest) {
    throw procedureFailure(
      'NotFound',
      `rds: instance "${input.sourceInstanceId}" has no available snapshot to restore from`,
    );
  }
  return newest;
}
