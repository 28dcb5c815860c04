// Runbook "Point-in-Time Recovery": restore the source instance as of `restoreTime` (never later
// than `before`) into a new instance, monitor it until available, then verify and switch as for
// a snapshot restore.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { resolveRestoreTime, restoreTimeAfterBefore, restoreTimeOutsideWindow } from '../domain/rdsRestore.js';
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
    let restoreTime = input.restoreTime;
    return runRestore('rdsPointInTimeRestore', input, {
      // 1. Fix the restore time (the pinned one, or capped at `before`) and check it against the
      //    source's restorable window.
      async plan(base, pin) {
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
        restoreTime = pin?.restoreTime ?? resolveRestoreTime(input.restoreTime, input.before, window);
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
      },
      // 2. Restore to the point in time (creates the new instance with the source's settings).
      restore: (plan) =>
        rds.restoreToPointInTime({
          ...plan.settings,
          sourceInstanceId: input.sourceInstanceId,
          restoreTime,
          targetInstanceId: plan.targetInstanceId,
        }),
    });
  });
}
