// Everything that talks to RDS. A restore is keyed on its target instance: a retry that finds the
// target already there adopts it when its tag says it came from the same source, and refuses it
// otherwise, so a crash at any line converges on exactly one restored instance.
import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstance,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds';
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  SOURCE_TAG,
  describeSource,
  isTerminalInstanceState,
  newestSnapshots,
  nextPollDelaySeconds,
  snapshotsBefore,
  sourceTagValue,
  type InstanceProgress,
  type RestorableWindow,
  type RestoreSettings,
  type RestoreSource,
  type SnapshotInfo,
} from '../domain/rdsRestore.js';
import { FailureType, fromAwsError, nonRetryable } from './failures.js';

export interface InstanceInfo {
  instanceId: string;
  status: string;
  endpoint?: string;
  port?: number;
  instanceClass?: string;
  engine?: string;
  restoredFrom?: string;
  /** The network and parameter settings a restore copies from its source. */
  settings: RestoreSettings;
}

export interface RestoreTarget extends RestoreSettings {
  targetInstanceId: string;
}

/** What either kind of restore sets on the new instance: the target's settings and the source tag. */
type NewInstanceSettings = Pick<
  RestoreDBInstanceFromDBSnapshotCommandInput,
  'DBInstanceClass' | 'VpcSecurityGroupIds' | 'DBSubnetGroupName' | 'DBParameterGroupName' | 'OptionGroupName' | 'Tags'
>;

/** A restore call's answer: the new instance, just started or adopted (not the workflow's `RestoreResult`). */
export interface RestoreStarted {
  instance: InstanceInfo;
  /** True when the target already existed from the same source (a retried or repeated restore). */
  adopted: boolean;
  message: string;
}

export interface WaitForInstanceInput {
  instanceId: string;
  /** When the wait began (epoch ms, the workflow's clock): elapsed time and the limit count from it. */
  waitStartedAtMs: number;
  /** Polls made by earlier calls of the same wait. */
  polls: number;
  maxWaitSeconds: number;
  /** How long this call may keep polling before it reports back; 0 = one poll. */
  pollWindowSeconds: number;
}

type HeartbeatDetails = Pick<InstanceProgress, 'status' | 'elapsedSeconds' | 'polls'>;

function toInstanceInfo(db: DBInstance): InstanceInfo {
  return {
    instanceId: db.DBInstanceIdentifier ?? '',
    status: db.DBInstanceStatus ?? 'unknown',
    endpoint: db.Endpoint?.Address,
    port: db.Endpoint?.Port,
    instanceClass: db.DBInstanceClass,
    engine: db.Engine,
    restoredFrom: db.TagList?.find((t) => t.Key === SOURCE_TAG)?.Value,
    settings: {
      instanceClass: db.DBInstanceClass,
      securityGroupIds: db.VpcSecurityGroups?.flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [])),
      subnetGroupName: db.DBSubnetGroup?.DBSubnetGroupName,
      dbParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
      optionGroupName: db.OptionGroupMemberships?.[0]?.OptionGroupName,
    },
  };
}

export function createRdsActivities(client: RDSClient) {
  async function findInstance(instanceId: string): Promise<DBInstance | undefined> {
    try {
      const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
      return out.DBInstances?.[0];
    } catch (error) {
      if ((error as { name?: string }).name === 'DBInstanceNotFoundFault') return undefined;
      throw fromAwsError(error, `rds: instance "${instanceId}"`);
    }
  }

  async function requireInstance(instanceId: string): Promise<DBInstance> {
    const db = await findInstance(instanceId);
    if (!db) throw nonRetryable('NotFound', `rds: instance "${instanceId}" not found`);
    return db;
  }

  /** The instance, or null when there is none (a snapshot may outlive its instance). */
  async function describeInstance(input: { instanceId: string }): Promise<InstanceInfo | null> {
    const db = await findInstance(input.instanceId);
    return db ? toInstanceInfo(db) : null;
  }

  /**
   * The newest five snapshots (automated and manual) of an instance, newest first; with `before`,
   * the newest five taken strictly before it.
   */
  async function listSnapshots(input: {
    instanceId: string;
    count?: number;
    before?: string;
  }): Promise<SnapshotInfo[]> {
    const snapshots: SnapshotInfo[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await client.send(
          new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: input.instanceId, Marker: marker }),
        );
        for (const s of page.DBSnapshots ?? []) {
          snapshots.push({
            snapshotId: s.DBSnapshotIdentifier ?? '',
            instanceId: s.DBInstanceIdentifier ?? '',
            createdAt: s.SnapshotCreateTime?.toISOString(),
            status: s.Status,
            type: s.SnapshotType,
          });
        }
        marker = page.Marker;
      } while (marker);
    } catch (error) {
      throw fromAwsError(error, `rds: snapshots of instance "${input.instanceId}"`);
    }
    return newestSnapshots(snapshotsBefore(snapshots, input.before), input.count ?? 5);
  }

  /** One snapshot by id, checked to belong to `instanceId`. */
  async function getSnapshot(input: { snapshotId: string; instanceId: string }): Promise<SnapshotInfo> {
    const notFound = nonRetryable(
      'NotFound',
      `rds: snapshot "${input.snapshotId}" not found for instance "${input.instanceId}"`,
    );
    let found;
    try {
      const out = await client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: input.snapshotId }));
      found = out.DBSnapshots?.[0];
    } catch (error) {
      if ((error as { name?: string }).name === 'DBSnapshotNotFoundFault') throw notFound;
      throw fromAwsError(error, `rds: snapshot "${input.snapshotId}"`);
    }
    if (!found) throw notFound;
    if (found.DBInstanceIdentifier !== input.instanceId) {
      throw nonRetryable(
        'InvalidInput',
        `rds: snapshot "${input.snapshotId}" belongs to instance "${found.DBInstanceIdentifier}", not "${input.instanceId}"`,
      );
    }
    return {
      snapshotId: input.snapshotId,
      instanceId: input.instanceId,
      createdAt: found.SnapshotCreateTime?.toISOString(),
      status: found.Status,
      type: found.SnapshotType,
    };
  }

  /** The window point-in-time recovery can reach, as far as RDS reports it. */
  async function getRestorableWindow(input: { instanceId: string }): Promise<RestorableWindow> {
    const db = await requireInstance(input.instanceId);
    let earliest: string | undefined;
    try {
      const out = await client.send(
        new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: input.instanceId }),
      );
      earliest = out.DBInstanceAutomatedBackups?.find(
        (b) => b.RestoreWindow?.EarliestTime,
      )?.RestoreWindow?.EarliestTime?.toISOString();
    } catch (error) {
      // Older accounts and some engines do not report automated backups; the window stays open.
      log.warn(`rds: no automated backups reported for "${input.instanceId}": ${String(error)}`);
    }
    return { earliest, latest: db.LatestRestorableTime?.toISOString() };
  }

  async function adoptOrRestore(
    target: RestoreTarget,
    source: RestoreSource,
    restore: (settings: NewInstanceSettings) => Promise<DBInstance | undefined>,
  ): Promise<RestoreStarted> {
    const adopt = (db: DBInstance): RestoreStarted => {
      const info = toInstanceInfo(db);
      if (info.restoredFrom !== sourceTagValue(source)) {
        const from = info.restoredFrom ? `was restored from ${info.restoredFrom}` : 'was not created by a restore';
        throw nonRetryable(
          'Conflict',
          `rds: instance "${target.targetInstanceId}" already exists and ${from}, not from ${describeSource(source)}; choose another targetInstanceId`,
        );
      }
      const message = `instance "${target.targetInstanceId}" already restored from ${describeSource(source)} (${info.status}); adopting it`;
      log.info(message);
      return { instance: info, adopted: true, message };
    };
    const existing = await findInstance(target.targetInstanceId);
    if (existing) return adopt(existing);
    try {
      const created = await restore({
        DBInstanceClass: target.instanceClass,
        VpcSecurityGroupIds: target.securityGroupIds,
        DBSubnetGroupName: target.subnetGroupName,
        DBParameterGroupName: target.dbParameterGroupName,
        OptionGroupName: target.optionGroupName,
        Tags: [{ Key: SOURCE_TAG, Value: sourceTagValue(source) }],
      });
      const message = `restore of ${describeSource(source)} into instance "${target.targetInstanceId}" started`;
      log.info(message);
      return {
        instance: created
          ? toInstanceInfo(created)
          : { instanceId: target.targetInstanceId, status: 'creating', settings: {} },
        adopted: false,
        message,
      };
    } catch (error) {
      // Absent at our check, there now: our own call made it (the SDK re-sent a restore whose answer
      // was lost), or another attempt won the race between our check and our call.
      if ((error as { name?: string }).name === 'DBInstanceAlreadyExistsFault') {
        const raced = await findInstance(target.targetInstanceId);
        if (raced) {
          const adopted = adopt(raced);
          const message = `restore of ${describeSource(source)} into instance "${target.targetInstanceId}" started (its answer was lost; the instance is there)`;
          log.info(message);
          return { ...adopted, adopted: false, message };
        }
      }
      throw fromAwsError(error, `rds: restore of ${describeSource(source)} into "${target.targetInstanceId}"`);
    }
  }

  async function restoreFromSnapshot(input: RestoreTarget & { snapshotId: string }): Promise<RestoreStarted> {
    return adoptOrRestore(input, { kind: 'snapshot', snapshotId: input.snapshotId }, async (settings) => {
      const out = await client.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: input.targetInstanceId,
          DBSnapshotIdentifier: input.snapshotId,
          ...settings,
        }),
      );
      return out.DBInstance;
    });
  }

  /** `restoreTime` is an ISO time or "latest" (RDS's latest restorable time). */
  async function restoreToPointInTime(
    input: RestoreTarget & { sourceInstanceId: string; restoreTime: string },
  ): Promise<RestoreStarted> {
    const source: RestoreSource = {
      kind: 'point-in-time',
      sourceInstanceId: input.sourceInstanceId,
      restoreTime: input.restoreTime,
    };
    const latest = input.restoreTime === 'latest';
    return adoptOrRestore(input, source, async (settings) => {
      const out = await client.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: input.sourceInstanceId,
          TargetDBInstanceIdentifier: input.targetInstanceId,
          RestoreTime: latest ? undefined : new Date(input.restoreTime),
          UseLatestRestorableTime: latest ? true : undefined,
          ...settings,
        }),
      );
      return out.DBInstance;
    });
  }

  /**
   * Polls the instance until it is `available`, a terminal state, the overall limit, or the end of
   * this call's window. Heartbeats `{ status, elapsedSeconds, polls }` after every poll; a retry
   * after a crash resumes the poll count from the last heartbeat.
   */
  async function waitForInstanceAvailable(input: WaitForInstanceInput): Promise<InstanceProgress> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as HeartbeatDetails | undefined;
    let polls = Math.max(input.polls, resumed?.polls ?? 0);
    // Elapsed time on the workflow's clock (the time-skipping server's too), then real time here.
    const attemptStartedMs = Date.now();
    const elapsedSeconds = () =>
      Math.max(
        0,
        Math.round(
          (ctx.info.currentAttemptScheduledTimestampMs - input.waitStartedAtMs + Date.now() - attemptStartedMs) / 1000,
        ),
      );
    const windowEndsMs = attemptStartedMs + input.pollWindowSeconds * 1000;
    for (;;) {
      const db = await findInstance(input.instanceId);
      polls += 1;
      const status = db?.DBInstanceStatus ?? 'not-found';
      const progress: InstanceProgress = {
        instanceId: input.instanceId,
        status,
        elapsedSeconds: elapsedSeconds(),
        polls,
        available: status === 'available',
        endpoint: db?.Endpoint?.Address,
        port: db?.Endpoint?.Port,
      };
      ctx.heartbeat({ status, elapsedSeconds: progress.elapsedSeconds, polls } satisfies HeartbeatDetails);
      if (progress.available) return progress;
      if (!db) throw nonRetryable('NotFound', `rds: instance "${input.instanceId}" disappeared while restoring`);
      if (isTerminalInstanceState(status)) {
        // The progress travels as the failure's details, so the workflow's status shows the end state.
        throw ApplicationFailure.create({
          type: FailureType.TerminalState,
          nonRetryable: true,
          message: `rds: instance "${input.instanceId}" is "${status}" after ${progress.elapsedSeconds}s; it will not become available`,
          details: [progress],
        });
      }
      if (progress.elapsedSeconds >= input.maxWaitSeconds) {
        throw nonRetryable(
          'WaitLimitExceeded',
          `rds: instance "${input.instanceId}" still "${status}" after ${progress.elapsedSeconds}s (limit ${input.maxWaitSeconds}s)`,
        );
      }
      const delayMs = nextPollDelaySeconds(polls, 15) * 1000;
      if (Date.now() + delayMs > windowEndsMs) return progress;
      await sleepWithHeartbeats(ctx, delayMs, { status, elapsedSeconds: progress.elapsedSeconds, polls });
    }
  }

  return {
    describeInstance,
    listSnapshots,
    getSnapshot,
    getRestorableWindow,
    restoreFromSnapshot,
    restoreToPointInTime,
    waitForInstanceAvailable,
  };
}

/** Sleeps in steps short enough that the heartbeat timeout never lapses while we wait. */
async function sleepWithHeartbeats(ctx: Context, ms: number, details: HeartbeatDetails): Promise<void> {
  const endsAt = Date.now() + ms;
  while (Date.now() < endsAt) {
    await ctx.sleep(Math.min(2_000, endsAt - Date.now()));
    ctx.heartbeat(details);
  }
}

export type RdsActivities = ReturnType<typeof createRdsActivities>;
