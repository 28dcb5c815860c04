// Everything that talks to Route53: read a record set, UPSERT it (a no-op when it already holds
// the values), and wait for the change to be INSYNC.
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import { log } from '@temporalio/activity';
import { fqdn, sameRecordValues, type RecordSet, type RecordRef } from '../domain/route53Records.js';
import { fromAwsError } from './failures.js';
import { pollUntil } from './waiting.js';

export interface UpsertResult {
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

  async function upsertRecordSet(record: RecordSet & { ttl: number }): Promise<UpsertResult> {
    const current = await getRecordSet(record);
    if (current && current.ttl === record.ttl && sameRecordValues(record.type, current.values, record.values)) {
      const message = `${context(record)} already ${record.values.join(', ')} (TTL ${record.ttl}); nothing to change`;
      log.info(message);
      return { changed: false, message };
    }
    try {
      const out = await client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: record.hostedZoneId,
          ChangeBatch: {
            Comment: 'rollback-orchestrator: route53RecordRollback',
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: fqdn(record.name),
                  Type: record.type as RRType,
                  TTL: record.ttl,
                  ResourceRecords: record.values.map((Value) => ({ Value })),
                },
              },
            ],
          },
        }),
      );
      const message = `${context(record)} set to ${record.values.join(', ')} (TTL ${record.ttl})`;
      log.info(message);
      return { changed: true, changeId: out.ChangeInfo?.Id, message };
    } catch (error) {
      throw fromAwsError(error, context(record));
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

  return { getRecordSet, upsertRecordSet, waitForChangeInSync };
}

export type Route53Activities = ReturnType<typeof createRoute53Activities>;
