// Provider: Route53. `dnsRecord`: the record answers the restored values, and the TTL resolvers
// had cached before the change has passed since it (runbook "Wait for propagation (check TTL)").
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { reading, sameRecordValues, type CheckResult } from '../../domain/verification.js';
import { createRoute53Activities } from '../route53.js';

const now = () => new Date().toISOString();

export function createRoute53Checks(client: Route53Client) {
  const { getRecordSet } = createRoute53Activities(client);

  async function dnsRecord(spec: CheckOf<'dnsRecord'>, at = new Date()): Promise<CheckResult> {
    const propagatedAt = new Date(Date.parse(spec.changedAt) + spec.previousTtlSeconds * 1000);
    const base = {
      check: 'dnsRecord',
      target: `${spec.name} ${spec.type} in zone ${spec.hostedZoneId}`,
      expected: `${spec.values.join(', ')}, and the previous TTL (${spec.previousTtlSeconds} s) passed (${propagatedAt.toISOString()})`,
    };
    let record: Awaited<ReturnType<typeof getRecordSet>>;
    try {
      record = await getRecordSet({ hostedZoneId: spec.hostedZoneId, name: spec.name, type: spec.type });
    } catch (error) {
      return reading(base, 'unreadable', 'record not readable', now(), { detail: (error as Error).message });
    }
    if (!record) return reading(base, 'failed', 'no such record', now());
    const observed = `${record.values.join(', ') || '(alias)'} (TTL ${record.ttl ?? '-'})`;
    if (!sameRecordValues(record.values, spec.values)) return reading(base, 'failed', observed, now());
    const waitSeconds = Math.ceil((propagatedAt.getTime() - at.getTime()) / 1000);
    if (waitSeconds > 0) {
      return reading(base, 'failed', observed, now(), {
        value: waitSeconds,
        detail: `resolvers may still cache the old answer for ${waitSeconds} s`,
      });
    }
    return reading(base, 'passed', observed, now());
  }

  return { dnsRecord };
}
