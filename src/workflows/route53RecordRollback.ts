// Runbook "Route53 Rollback": read the current record set, UPSERT the previous value, wait for the
// change to propagate (INSYNC), read it back to verify.
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { fqdn, sameRecordValues } from '../domain/route53Records.js';
import { route53RecordRollbackInput } from '../domain/schemas/route53RecordRollback.js';
import { cloudApiCall, heartbeatingWait } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';

const route53 = proxyActivities<Activities>(cloudApiCall);
const propagation = proxyActivities<Activities>(heartbeatingWait);

/** The runbook's change batch TTL, for a record that does not exist any more. */
const DEFAULT_TTL = 300;

export interface RecordValues {
  values: string[];
  ttl?: number;
}

export interface Route53RecordRollbackResult {
  hostedZoneId: string;
  name: string;
  type: string;
  from?: RecordValues;
  to: RecordValues;
  dryRun: boolean;
  changed: boolean;
  verified: boolean;
  message: string;
}

export async function route53RecordRollback(rawInput: unknown): Promise<Route53RecordRollbackResult> {
  return asProcedure(async () => {
    const input = parseInput(route53RecordRollbackInput, rawInput, 'route53RecordRollback');
    const ref = { hostedZoneId: input.hostedZoneId, name: fqdn(input.name), type: input.type };

    // 1. Get the current record set.
    const current = await route53.getRecordSet(ref);
    const from = current && { values: current.values, ttl: current.ttl };
    const to = { values: input.previousValues, ttl: input.ttl ?? current?.ttl ?? DEFAULT_TTL };
    const plan = { ...ref, from, to };
    const describe = (v?: RecordValues) => (v ? `${v.values.join(', ')} (TTL ${v.ttl})` : '(no record)');

    if (input.dryRun) {
      const message = `dry run: would change ${ref.name} ${ref.type} from ${describe(from)} to ${describe(to)}`;
      log.info(message);
      return { ...plan, dryRun: true, changed: false, verified: false, message };
    }

    // 2. Apply the change batch (UPSERT of the previous value).
    const change = await route53.upsertRecordSet({ ...ref, values: to.values, ttl: to.ttl });

    // 3. Wait for propagation.
    if (change.changeId)
      await propagation.waitForChangeInSync({ changeId: change.changeId, timeoutSeconds: input.inSyncTimeoutSeconds });

    // 4. Verify by reading the record set back.
    const after = await route53.getRecordSet(ref);
    if (!after || after.ttl !== to.ttl || !sameRecordValues(ref.type, after.values, to.values)) {
      throw procedureFailure(
        'VerificationFailed',
        `route53: record ${ref.name} ${ref.type} reads ${describe(after && { values: after.values, ttl: after.ttl })}, expected ${describe(to)}`,
      );
    }
    return { ...plan, dryRun: false, changed: change.changed, verified: true, message: change.message };
  });
}
