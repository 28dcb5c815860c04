// Everything that talks to Route53: read a record set, replace it only if it still holds the
// planned values (a no-op when it already holds the new ones), and wait for the change to be INSYNC.
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import { log } from '@temporalio/activity';
import {
  describeRecord,
  fqdn,
  sameRecord,
  type RecordRef,
  type RecordSet,
  type RecordValues,
} from '../domain/route53Records.js';
import { fromAwsError, nonRetryable } from './failures.js';
import { pollUntil } from './waiting.js';

/** Route53's answers to a batch whose DELETE or CREATE no longer matches the zone. */
const REJECTED_BATCH = new Set(['InvalidChangeBatch', 'InvalidInput']);

export interface ChangeResult {
  changed: boolean;
  changeId?: string;
  message: string;
}

export function createRoute53Activities(client: Route53Client) {
  const context = (ref: RecordRef) => `route53: record ${fqdn(ref.name)} ${ref.type} in zone "${ref.hostedZoneId}"`;

  /** The record set, or undefined when the zone has none of that name and type. */
  async function getRecordSet(ref: RecordRef): Promise<RecordSet | undefined> {
    try {
      const out = await client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: ref.hostedZoneId,
          StartRecordName: fqdn(ref.name),
          StartRecordType: ref.type as RRType,
          MaxItems: 1,
        }),
      );
      const found = out.ResourceRecordSets?.[0];
      if (!found || fqdn(found.Name ?? '') !== fqdn(ref.name) || found.Type !== ref.type) return undefined;
      return {
        ...ref,
        name: fqdn(ref.name),
        ttl: found.TTL,
        values: (found.ResourceRecords ?? []).map((r) => r.Value ?? ''),
      };
    } catch (error) {
      throw fromAwsError(error, context(ref));
    }
  }

  /**
   * Replaces the record set `from` with `to`, only if it still holds `from` (TargetChanged
   * otherwise). Route53 has no conditional UPSERT, so an existing record is replaced by one
   * change batch of DELETE (its exact current values) and CREATE: a concurrent change between our
   * read and the batch makes the DELETE (or the CREATE of an absent record) fail, and the whole
   * batch with it. A record already at `to` is a no-op, so a retry after success succeeds.
   */
  async function replaceRecordSet(
    change: RecordRef & { from: RecordValues | null; to: RecordValues & { ttl: number } },
  ): Promise<ChangeResult> {
    const describe = (v: RecordValues | null | undefined) => describeRecord(change.type, v);
    const current = await getRecordSet(change);
    if (sameRecord(change.type, current, change.to)) {
      const message = `${context(change)} already ${describe(change.to)}; nothing to change`;
      log.info(message);
      return { changed: false, message };
    }
    const moved = (now: RecordValues | undefined) =>
      nonRetryable(
        'TargetChanged',
        `${context(change)} holds ${describe(now)}, not the planned ${describe(change.from)}; plan again`,
      );
    if (current && current.ttl === undefined) {
      throw nonRetryable(
        'InvalidInput',
        `${context(change)} is an alias record; only value records can be rolled back`,
      );
    }
    if (!sameRecord(change.type, current, change.from)) throw moved(current);
    const recordSet = (v: RecordValues) => ({
      Name: fqdn(change.name),
      Type: change.type as RRType,
      TTL: v.ttl,
      ResourceRecords: v.values.map((Value) => ({ Value })),
    });
    try {
      const out = await client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: change.hostedZoneId,
          ChangeBatch: {
            Comment: 'rollback-orchestrator: route53RecordRollback',
            Changes: [
              ...(current ? [{ Action: 'DELETE' as const, ResourceRecordSet: recordSet(current) }] : []),
              { Action: 'CREATE' as const, ResourceRecordSet: recordSet(change.to) },
            ],
          },
        }),
      );
      const message = `${context(change)} changed from ${describe(current)} to ${describe(change.to)}`;
      log.info(message);
      return { changed: true, changeId: out.ChangeInfo?.Id, message };
    } catch (error) {
      // A rejected batch is decided by what the record holds now, not by the error's text.
      if (REJECTED_BATCH.has((error as { name?: string }).name ?? '')) {
        const now = await getRecordSet(change);
        if (sameRecord(change.type, now, change.to)) {
          const message = `${context(change)} already ${describe(change.to)}; nothing to change`;
          log.info(message);
          return { changed: false, message };
        }
        if (!sameRecord(change.type, now, current)) throw moved(now);
      }
      throw fromAwsError(error, context(change));
    }
  }

  /** Polls GetChange until INSYNC (heartbeating, resuming its clock after a retry), up to `timeoutSeconds`. */
  async function waitForChangeInSync(input: { changeId: string; timeoutSeconds: number }): Promise<{ status: string }> {
    const { status } = await pollUntil<string, { status: string }>({
      what: `route53 change "${input.changeId}" to be INSYNC`,
      intervalMs: 2_000,
      timeoutMs: input.timeoutSeconds * 1000,
      describe: (status) => `still ${status}`,
      poll: async () => {
        let status: string;
        try {
          const out = await client.send(new GetChangeCommand({ Id: input.changeId }));
          status = out.ChangeInfo?.Status ?? 'UNKNOWN';
        } catch (error) {
          throw fromAwsError(error, `route53: change "${input.changeId}"`);
        }
        return status === 'INSYNC'
          ? { done: true, result: { status }, progress: status }
          : { done: false, progress: status };
      },
    });
    return { status };
  }

  return { getRecordSet, replaceRecordSet, waitForChangeInSync };
}

export type Route53Activities = ReturnType<typeof createRoute53Activities>;
