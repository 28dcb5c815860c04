// Demo and test infrastructure: a PostgreSQL RDS instance with manual snapshots, created in moto
// (or any account you point it at) through the real SDK.
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { AwsEndpoint } from './seedLambda.js';

export interface SeededInstance {
  instanceId: string;
  endpoint: string;
  snapshots: string[];
}

export async function seedRdsInstance(
  aws: AwsEndpoint,
  instanceId: string,
  options: { snapshots?: string[] } = {},
): Promise<SeededInstance> {
  const rds = new RDSClient(aws);
  try {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: instanceId,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        AllocatedStorage: 20,
        MasterUsername: 'app',
        // moto stores it; nothing connects with it.
        MasterUserPassword: 'demo-only-password',
        BackupRetentionPeriod: 7,
      }),
    );
    const snapshots = options.snapshots ?? [`${instanceId}-2026-11-20`, `${instanceId}-2026-11-21`];
    for (const id of snapshots) {
      await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: id }));
    }
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
    return { instanceId, endpoint: out.DBInstances?.[0]?.Endpoint?.Address ?? '', snapshots };
  } finally {
    rds.destroy();
  }
}
