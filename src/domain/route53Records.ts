// Route53 record sets as the DNS rollback sees them: names are fully qualified (trailing dot),
// and two value lists are the same records whatever their order, case or trailing dots.

export const ROLLBACK_RECORD_TYPES = ['A', 'AAAA', 'CNAME'] as const;
export type RollbackRecordType = (typeof ROLLBACK_RECORD_TYPES)[number];

export interface RecordRef {
  hostedZoneId: string;
  name: string;
  type: RollbackRecordType;
}

export interface RecordSet extends RecordRef {
  ttl?: number;
  values: string[];
}

/** Values and TTL of a record set, as a plan pins them. */
export interface RecordValues {
  values: string[];
  ttl?: number;
}

/** "A 192.0.2.10, 192.0.2.11 (ttl 300)", or "no A record" for a record that does not exist. */
export function describeRecord(type: RollbackRecordType, record: RecordValues | null | undefined): string {
  if (!record) return `no ${type} record`;
  return `${type} ${record.values.join(', ')} (ttl ${record.ttl ?? 'none'})`;
}

/** Two states of one record set are the same: both absent, or same TTL and values. */
export function sameRecord(
  type: RollbackRecordType,
  a: RecordValues | null | undefined,
  b: RecordValues | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  return a.ttl === b.ttl && sameRecordValues(type, a.values, b.values);
}

export function fqdn(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function normalise(type: RollbackRecordType, value: string): string {
  const v = value.trim();
  return type === 'CNAME' ? fqdn(v) : v.toLowerCase();
}

export function sameRecordValues(type: RollbackRecordType, a: readonly string[], b: readonly string[]): boolean {
  const left = a.map((v) => normalise(type, v)).sort();
  const right = b.map((v) => normalise(type, v)).sort();
  return left.length === right.length && left.every((v, i) => v === right[i]);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME =
  /^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Why a value is not a valid record of `type`, or undefined when it is. */
export function invalidRecordValue(type: RollbackRecordType, value: string): string | undefined {
  if (type === 'A') return IPV4.test(value) ? undefined : 'must be an IPv4 address such as 192.0.2.10';
  if (type === 'AAAA')
    return /^[0-9a-f:]+$/i.test(value) && value.includes(':') ? undefined : 'must be an IPv6 address';
  return HOSTNAME.test(value) ? undefined : 'must be a host name such as app.example.com';
}
