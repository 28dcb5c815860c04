// What the restore workflow tests share: the time-skipping server, moto through the slow-RDS
// launcher with a fresh `orders-prod` instance per test, a real PostgreSQL with the runbook's
// verification tables, a worker with the real activities and, when asked, the local cluster.
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSnapshotCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { randomBytes } from 'node:crypto';
import { ensureCluster, kubeconfigPath, kubectl, kubectlResult } from './kubernetes.js';
import { waitFor } from './ports.js';
import { seedVerificationDatabase, startPostgres, type Postgres } from './postgres.js';
import { startSlowRds, type SlowRds } from './slowRds.js';
import { configFor, createTestWorker, startTimeSkipping } from './temporal.js';

/** The variable the worker reads the verification password from (the tests' own process). */
export const VERIFY_PASSWORD_ENV = 'ORDERS_VERIFY_PASSWORD';

export interface RestoreTestbed {
  env: TestWorkflowEnvironment;
  moto: SlowRds;
  pgServer: Postgres;
  taskQueue: string;
  /** moto reset, instant restores, `orders-prod` with the given snapshots. */
  resetRds(snapshots?: string[]): Promise<void>;
  /** The `verify` input: the runbook's row count, at least `minRows`. */
  verify(minRows?: number): object;
  /** A manual snapshot, taken now. */
  seedSnapshot(instanceId: string, snapshotId: string): Promise<void>;
  /** Creation time of each snapshot of `orders-prod`, read straight from moto. */
  snapshotTimes(instanceId?: string): Promise<Map<string, string>>;
  /** `orders-vpc`: an instance in its own subnet group, security groups, parameter and option group, with one snapshot. */
  seedNetworkedSource(): Promise<NetworkSettings>;
  /** The network and parameter settings of an instance, read straight from moto. */
  settingsOf(instanceId: string): Promise<NetworkSettings>;
  stop(): Promise<void>;
}

export interface NetworkSettings {
  securityGroupIds: string[];
  subnetGroupName?: string;
  dbParameterGroupName?: string;
  optionGroupName?: string;
}

/** `cluster`: the worker also reaches the local Kubernetes cluster (for the DATABASE_HOST switch). */
export async function startRestoreTestbed(options: { cluster?: boolean } = {}): Promise<RestoreTestbed> {
  const cluster = options.cluster ? await runningCluster() : undefined;
  const [env, moto, pgServer] = await Promise.all([startTimeSkipping(), startSlowRds(), startPostgres()]);
  await seedVerificationDatabase(pgServer, 'orders');
  process.env[VERIFY_PASSWORD_ENV] = pgServer.password;
  const { worker, taskQueue }: { worker: Worker; taskQueue: string } = await createTestWorker(
    env,
    configFor(moto.endpoint, cluster ? { KUBECONFIG: cluster.kubeconfigPath } : {}),
  );
  const rds = new RDSClient({ endpoint: moto.endpoint, region: moto.region });
  const running = worker.run();
  return {
    env,
    moto,
    pgServer,
    taskQueue,
    async resetRds(snapshots = []) {
      await moto.reset();
      await moto.configure({ seconds: 0, outcome: 'available', restoreResponseDelay: 0 });
      await seedRdsInstance(moto, 'orders-prod', { snapshots });
    },
    verify: (minRows = 1) => ({
      host: pgServer.host,
      port: pgServer.port,
      database: 'orders',
      user: pgServer.user,
      passwordEnv: VERIFY_PASSWORD_ENV,
      queries: [
        { check: 'critical rows', sql: 'SELECT COUNT(*) FROM critical_table', expect: { min: minRows } },
        { check: 'schema version', sql: 'SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1' },
      ],
    }),
    async seedSnapshot(instanceId, snapshotId) {
      await rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: snapshotId }),
      );
    },
    async snapshotTimes(instanceId = 'orders-prod') {
      const out = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instanceId }));
      return new Map(
        (out.DBSnapshots ?? []).map((s) => [s.DBSnapshotIdentifier ?? '', s.SnapshotCreateTime?.toISOString() ?? '']),
      );
    },
    async seedNetworkedSource() {
      const subnetIds = await defaultSubnetIds(moto.endpoint);
      await rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: 'orders-private',
          DBSubnetGroupDescription: 'orders database subnets',
          SubnetIds: subnetIds.slice(0, 2),
        }),
      );
      await rds.send(
        new CreateDBParameterGroupCommand({
          DBParameterGroupName: 'orders-params',
          DBParameterGroupFamily: 'postgres13',
          Description: 'orders tuning',
        }),
      );
      // moto knows option groups of PostgreSQL 10 to 13 only.
      await rds.send(
        new CreateOptionGroupCommand({
          OptionGroupName: 'orders-options',
          EngineName: 'postgres',
          MajorEngineVersion: '13',
          OptionGroupDescription: 'orders options',
        }),
      );
      await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'orders-vpc',
          DBInstanceClass: 'db.t3.micro',
          Engine: 'postgres',
          EngineVersion: '13.7',
          AllocatedStorage: 20,
          MasterUsername: 'app',
          MasterUserPassword: 'demo-only-password',
          BackupRetentionPeriod: 7,
          VpcSecurityGroupIds: ['sg-0orders0db0a', 'sg-0orders0db0b'],
          DBSubnetGroupName: 'orders-private',
          DBParameterGroupName: 'orders-params',
          OptionGroupName: 'orders-options',
        }),
      );
      await rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-vpc', DBSnapshotIdentifier: 'orders-vpc-1' }),
      );
      return settingsOf(rds, 'orders-vpc');
    },
    settingsOf: (instanceId) => settingsOf(rds, instanceId),
    async stop() {
      rds.destroy();
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), moto.stop(), pgServer.stop()]);
    },
  };
}

/**
 * The subnets of moto's default VPC. There is no EC2 client among the project's packages; moto
 * answers an EC2 query request whose Authorization header names the service (it checks no
 * signature).
 */
async function defaultSubnetIds(endpoint: string): Promise<string[]> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=DescribeSubnets&Version=2016-11-15',
  });
  const ids = [...(await res.text()).matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]!);
  if (ids.length < 2) throw new Error(`moto: expected the default VPC's subnets, got ${ids.length}`);
  return ids;
}

async function settingsOf(rds: RDSClient, instanceId: string): Promise<NetworkSettings> {
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
  const db = out.DBInstances?.[0];
  return {
    securityGroupIds: (db?.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? ''),
    subnetGroupName: db?.DBSubnetGroup?.DBSubnetGroupName,
    dbParameterGroupName: db?.DBParameterGroups?.[0]?.DBParameterGroupName,
    optionGroupName: db?.OptionGroupMemberships?.[0]?.OptionGroupName,
  };
}

/**
 * The shared local cluster. A worktree's scripts/k8s/up.sh does not recognise a cluster started
 * from another checkout (its pid check compares binary paths, and .tools is a symlink), so one
 * that already answers is used as it is.
 */
async function runningCluster(): Promise<{ kubeconfigPath: string }> {
  const ready = await kubectlResult(['get', '--raw', '/readyz'], { allowFailure: true, timeoutMs: 30_000 }).catch(
    () => undefined,
  );
  return ready?.code === 0 ? { kubeconfigPath } : ensureCluster();
}

/** A namespace of its own for a test, like createTestNamespace but on the running cluster as it is. */
export async function createRestoreNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', name]);
  // Pods are refused until the ServiceAccount controller has made `default`.
  await waitFor(
    `ServiceAccount default in namespace ${name}`,
    async () =>
      (await kubectlResult(['-n', name, 'get', 'serviceaccount', 'default'], { allowFailure: true })).code === 0,
  );
  return name;
}
