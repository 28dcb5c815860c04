// Runbook "Route53 Rollback": read the current record set, replace it with the previous value,
// wait for the change to propagate (INSYNC), read it back to verify. Plan, pin, apply
// (src/domain/procedures/contract.ts): the dry run pins the record as found and the destination;
// the apply changes the record only while it still holds the pinned values.
import { log, proxyActivities } from '@temporalio/workflow';
import type { Route53Activities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import { describeRecord, fqdn, sameRecord, type RecordValues } from '../domain/route53Records.js';
import { route53RecordRollbackInput, type Route53RecordPin } from '../domain/schemas/route53RecordRollback.js';
import { cloudApiCall, heartbeatingWait } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { changedThisRun } from './support/lostAnswer.js';
import { verifyAfter } from './support/verifyAfter.js';

const route53 = proxyActivities<Route53Activities>(cloudApiCall);
const propagation = proxyActivities<Route53Activities>(heartbeatingWait);

/** The runbook's change batch TTL, for a record that does not exist any more. */
const DEFAULT_TTL = 300;

export type { RecordValues };

export interface Route53RecordRollbackResult extends ProcedureResult {
  hostedZoneId: string;
  name: string;
  type: string;
  /** The record set rolled back from; absent when the record did not exist. */
  fromRecord?: RecordValues;
  toRecord: RecordValues & { ttl: number };
  pin: Route53RecordPin;
}

export async function route53RecordRollback(rawInput: unknown): Promise<Route53RecordRollbackResult> {
  return asProcedure(async () => {
    const input = parseInput(route53RecordRollbackInput, rawInput, 'route53RecordRollback');
    const ref = { hostedZoneId: input.hostedZoneId, name: fqdn(input.name), type: input.type };
    const describe = (v: RecordValues | null | undefined) => describeRecord(ref.type, v);

    // 1. Get the current record set (and, for a pinned apply, check it is still as planned).
    const found = await route53.getRecordSet(ref);
    const current = found ? { values: found.values, ...(found.ttl !== undefined ? { ttl: found.ttl } : {}) } : null;
    if (input.pin && !sameRecord(ref.type, current, input.pin.from) && !sameRecord(ref.type, current, input.pin.to)) {
      throw procedureFailure(
        'TargetChanged',
        `route53: record ${ref.name} ${ref.type} in zone "${ref.hostedZoneId}" holds ${describe(current)}, not the planned ${describe(input.pin.from)}; plan again`,
      );
    }
    const from = input.pin ? input.pin.from : current && { values: current.values, ttl: current.ttl ?? DEFAULT_TTL };
    const to = input.pin?.to ?? { values: input.previousValues, ttl: input.ttl ?? current?.ttl ?? DEFAULT_TTL };
    const plan = {
      ...ref,
      ...(from ? { fromRecord: from } : {}),
      toRecord: to,
      from: describe(from),
      to: describe(to),
      pin: { from, to },
    };

    if (input.dryRun) {
      const message = `dry run: would change ${ref.name} ${ref.type} from ${describe(from)} to ${describe(to)}`;
      log.info(message);
      return { ...plan, dryRun: true, changed: false, verified: false, message };
    }

    // 2. Apply the change batch: DELETE the pinned values and CREATE the previous ones, atomically.
    const change = await route53.replaceRecordSet({ ...ref, from: input.pin ? from : current, to });

    // 3. Wait for propagation.
    if (change.changeId)
      await propagation.waitForChangeInSync({ changeId: change.changeId, timeoutSeconds: input.inSyncTimeoutSeconds });

    // 4. Verify by reading the record set back.
    const after = await route53.getRecordSet(ref);
    if (!sameRecord(ref.type, after, to)) {
      throw procedureFailure(
        'VerificationFailed',
        `route53: record ${ref.name} ${ref.type} reads ${describe(after)}, expected ${describe(to)}`,
      );
    }

    // A retried change whose first answer was lost finds the record already at `to`: the change
    // was this run's (step 1 saw it elsewhere), so it is verified, though its INSYNC id is gone.
    const changed = changedThisRun(change.changed, !sameRecord(ref.type, current, to));
    const message =
      changed && !change.changed
        ? `route53: record ${ref.name} ${ref.type} in zone "${ref.hostedZoneId}" changed from ${describe(current)} to ${describe(to)} (the change's answer was lost; INSYNC not awaited)`
        : change.message;

    // 5. The input's checks. None natural: step 4 read the record back (a `dnsRecord` check in
    //    `verify` also waits out the TTL resolvers had cached).
    const { verification, healthy, suffix } = await verifyAfter({
      changed,
      natural: [],
      given: input.verify,
      reason: `after changing ${ref.name} ${ref.type} to ${describe(to)}`,
    });
    return {
      ...plan,
      dryRun: false,
      changed,
      verified: healthy,
      ...(verification ? { verification } : {}),
      message: `${message}${suffix}`,
    };
  });
}
