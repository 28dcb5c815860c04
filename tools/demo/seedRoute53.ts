// Demo and test infrastructure: a hosted zone with A and CNAME records, through the real SDK.
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { AwsEndpoint } from './seedLambda.js';

export interface SeedRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME';
  ttl: number;
  values: string[];
}

/** Creates the zone and its records; returns the zone id (without `/hostedzone/`). */
export async function seedHostedZone(aws: AwsEndpoint, zoneName: string, records: SeedRecord[]): Promise<string> {
  const route53 = new Route53Client(aws);
  try {
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `seed-${zoneName}-${Date.now()}` }),
    );
    const zoneId = (zone.HostedZone?.Id ?? '').replace(/^\/hostedzone\//, '');
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: records.map((r) => ({
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: r.name,
              Type: r.type as RRType,
              TTL: r.ttl,
              ResourceRecords: r.values.map((Value) => ({ Value })),
            },
          })),
        },
      }),
    );
    return zoneId;
  } finally {
    route53.destroy();
  }
}
