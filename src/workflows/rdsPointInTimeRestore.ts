// Runbook "Point-in-Time Recovery": restore the source instance as of `restoreTime` into a new
// instance, monitor it until available, then switch and verify as for a snapshot restore.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { restoreTimeOutsideWindow } from '../domain/rdsRestore.js';
import type { RestoreResult } from '../domain/restoreProgress.js';
import { rdsPointInTimeRestoreInput } from '../domain/schemas/rdsRestore.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { runRestore } from './support/rdsRestore.js';

const rds = proxyActivities<Activities>(cloudApiCall);

export async function rdsPointInTimeRestore(rawInput: unknown): Promise<RestoreResult> {
  return asProcedure(async () => {
    const input = parseInput(rdsPointInTimeRestoreInput, rawInput, 'rdsPointInTimeRestore');
    return runRestore('rdsPointInTimeRestore', input, {
      // 1. Check the restore time against the source's restorable window.
      async plan(base) {
        const window = await rds.getRestorableWindow({ instanceId: input.sourceInstanceId });
        const outside =
          input.restoreTime === 'latest' ? undefined : restoreTimeOutsideWindow(input.restoreTime, window);
        if (outside) {
          throw procedureFailure(
            'InvalidInput',
            `rds: restoreTime ${input.restoreTime} ${outside} of instance "${input.sourceInstanceId}"`,
          );
        }
        return {
          ...base,
          restorableWindow: window,
          source: { kind: 'point-in-time', sourceInstanceId: input.sourceInstanceId, restoreTime: input.restoreTime },
        };
      },
      // 2. Restore to the point in time (creates the new instance).
      restore: (plan) =>
        rds.restoreToPointInTime({
          sourceInstanceId: input.sourceInstanceId,
          restoreTime: input.restoreTime,
          targetInstanceId: plan.targetInstanceId,
          instanceClass: input.instanceClass,
          securityGroupIds: input.securityGroupIds,
          subnetGroupName: input.subnetGroupName,
        }),
    });
  });
}
