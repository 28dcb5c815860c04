// Reliability suite, chaos (issue 13): a P0 incident rolls back a Deployment, a Lambda alias, a
// Route53 record and an RDS instance at once, while its worker process is SIGKILLed and replaced
// at every activity boundary in turn, and once at a random moment inside each long wait (the
// rollout wait, the RDS availability wait). Every run ends rolled back with each change applied
// exactly once.
//
// A clean run first lists the boundaries: every activity of the incident and its children, in
// the order they completed. Then lanes run at the same time, each an incident of its own (its
// own Deployment, function, record, instance, task queue and worker processes); lane j kills its
// worker right after boundaries j, j+L, j+2L... complete, one after the other in the same run, so
// every boundary gets one kill across L runs. One more lane kills inside the two waits at moments
// drawn from CHAOS_SEED. What moto applied is counted by a recording proxy in front of it
// (test/support/faultProxy.ts with no faults); setup and end states go straight to moto and kubectl.
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ServiceError, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import { seedHostedZone } from '../../tools/demo/seedRoute53.js';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { aliasVersion } from '../support/aws.js';
import {
  activityRunning,
  boundaryReached,
  completedActivities,
  dealBoundaries,
  incidentActivities,
  incidentBoundaries,
  killCostMs,
  type Scheduled,
  workflowIdOf,
  type Boundary,
} from '../support/chaos.js';
import { deploymentWithHistory, historyRows, imageOf } from '../support/deployments.js';
import { seededRandom, startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { workerPool, type WorkerPool } from '../support/processes.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { startDevServer, uniqueTaskQueue } from '../support/temporal.js';

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

/** Draws the moments of the kills inside the waits. */
const CHAOS_SEED = intFromEnv('CHAOS_SEED', 20261129, 0);
/** Runs with boundary kills at the same time (each boundary is killed in exactly one of them). */
const CHAOS_LANES = intFromEnv('CHAOS_LANES', 4, 1);
/** Seconds a restored instance takes to become available (the slow-RDS launcher): one wait call polls at 0, 5 and 12.5 s. */
const RDS_SECONDS = 10;
/** The random lane's Deployment: new pods count as available after this, so the rollout wait lasts. */
const MIN_READY_SECONDS = 15;

let env: TestWorkflowEnvironment;
let moto: SlowRds;
let aws: FaultProxy;
let pg: Postgres;
let kubeconfigPath: string;
let namespace: string;
const pools: WorkerPool[] = [];
const awsEndpoint = () => ({ endpoint: moto.endpoint, region: moto.region });

beforeAll(async () => {
  // Each server that did start is kept for afterAll to stop, even when another one failed.
  const started = await Promise.allSettled([
    startDevServer().then((e) => (env = e)),
    startSlowRds().then((m) => (moto = m)),
    startPostgres().then((p) => (pg = p)),
    ensureCluster().then((c) => (kubeconfigPath = c.kubeconfigPath)),
  ]);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  aws = await startFaultProxy({ name: 'aws', flavor: 'aws', target: moto.endpoint, faultRate: 0, dropAfterRate: 0 });
  namespace = await createTestNamespace('chaos');
  await moto.configure({ seconds: RDS_SECONDS });
}, 180_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.stopAll('SIGKILL')));
  if (namespace) await deleteTestNamespace(namespace);
  await Promise.all([env?.teardown(), moto?.stop(), aws?.close(), pg?.stop()]);
});

/** One incident's own targets, seeded fresh: Deployment at revision 3, alias on 3, record changed, a source instance. */
interface Lane {
  name: string;
  incidentId: string;
  deployment: string;
  functionName: string;
  zoneId: string;
  record: string;
  sourceInstanceId: string;
  targetInstanceId: string;
  taskQueue: string;
  workers: WorkerPool;
}

async function seedLane(name: string, minReadySeconds = 0): Promise<Lane> {
  const deployment = `web-${name}`;
  const [zoneId] = await Promise.all([
    seedHostedZone(awsEndpoint(), `${name}.example.com`, [
      { name: `api.${name}.example.com`, type: 'A', ttl: 60, values: ['192.0.2.20'] },
    ]),
    (async () => {
      await deploymentWithHistory(namespace, deployment);
      if (minReadySeconds > 0) {
        await kubectl(['patch', `deployment/${deployment}`, '-p', JSON.stringify({ spec: { minReadySeconds } })], {
          namespace,
        });
        await kubectl(['rollout', 'status', `deployment/${deployment}`, '--timeout=60s'], { namespace });
      }
    })(),
    seedLambdaFunction(awsEndpoint(), `checkout-${name}`),
    seedRdsInstance(awsEndpoint(), `orders-${name}`),
  ]);
  const taskQueue = uniqueTaskQueue(`chaos-${name}`);
  const workers = workerPool({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL: aws.url,
    KUBECONFIG: kubeconfigPath,
    CHAOS_PG_PASSWORD: pg.password,
  });
  pools.push(workers);
  return {
    name,
    incidentId: `chaos-${name}`,
    deployment,
    functionName: `checkout-${name}`,
    zoneId,
    record: `api.${name}.example.com`,
    sourceInstanceId: `orders-${name}`,
    targetInstanceId: `orders-${name}-restored`,
    taskQueue,
    workers,
  };
}

async function startIncident(lane: Lane): Promise<WorkflowHandle> {
  for (let tries = 1; ; tries++) {
    try {
      return await startIncidentOnce(lane);
    } catch (error) {
      // A start whose answer was lost to a starved server: it may have started.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return env.client.workflow.getHandle(lane.incidentId);
      if (!(error instanceof ServiceError) || tries >= 5) throw error;
    }
  }
}

function startIncidentOnce(lane: Lane): Promise<WorkflowHandle> {
  return env.client.workflow.start('incidentRollback', {
    taskQueue: lane.taskQueue,
    workflowId: lane.incidentId,
    args: [
      {
        service: `checkout-${lane.name}`,
        environment: 'production',
        severity: 'P0',
        reason: 'chaos: worker SIGKILLed at activity boundaries',
        requestedBy: 'chaos-test',
        procedures: [
          {
            type: 'kubernetesDeploymentRollback',
            input: { namespace, deployment: lane.deployment, timeoutSeconds: 180 },
          },
          { type: 'lambdaAliasRollback', input: { functionName: lane.functionName } },
          {
            type: 'route53RecordRollback',
            input: { hostedZoneId: lane.zoneId, name: lane.record, type: 'A', previousValues: ['192.0.2.10'] },
          },
          {
            type: 'rdsSnapshotRestore',
            input: {
              sourceInstanceId: lane.sourceInstanceId,
              targetInstanceId: lane.targetInstanceId,
              // One wait activity that polls and heartbeats until the instance is available.
              pollWindowSeconds: 20,
              // On a real PostgreSQL (moto's instances serve nothing), so the restore is verified.
              verifyQueries: {
                host: pg.host,
                port: pg.port,
                database: 'postgres',
                user: pg.user,
                passwordEnv: 'CHAOS_PG_PASSWORD',
                queries: [{ check: 'answers', sql: 'SELECT 1', expect: { equals: 1 } }],
              },
            },
          },
        ],
      },
    ],
  });
}

interface LaneRun {
  lane: Lane;
  handle: WorkflowHandle;
  result: IncidentResult;
  /** What was killed when, and how long until the next activity of the incident completed. */
  kills: { at: string; killedAtMs: number; recoveredMs?: number }[];
  ms: number;
}

/**
 * The incident's result (its failure, when it fails). A dev server starved of CPU can drop the
 * long poll for it (`Failed to get Workflow execution history`): ask again.
 */
async function settle(handle: WorkflowHandle): Promise<IncidentResult> {
  for (let tries = 1; ; tries++) {
    try {
      return (await handle.result()) as IncidentResult;
    } catch (error) {
      if (!(error instanceof ServiceError) || tries >= 5) throw error;
    }
  }
}

/** Runs the lane's incident, SIGKILLing its worker right after each of `targets` completes, in turn. */
async function runWithBoundaryKills(lane: Lane, targets: Boundary[]): Promise<LaneRun> {
  const started = Date.now();
  let worker = lane.workers.start();
  const handle = await startIncident(lane);
  let ended = false;
  const result = settle(handle).finally(() => (ended = true));
  result.catch(() => undefined); // awaited below
  const kills: LaneRun['kills'] = [];
  for (const target of targets) {
    const workflowId = await workflowIdOf(env.client, target.role, lane.incidentId);
    if (!(await boundaryReached(env.client, workflowId, lane.incidentId, target.key, () => ended, 240_000))) {
      const why = await result.then(
        (r) => `closed ${r.outcome}`,
        (e: unknown) => `failed: ${String(e)}`,
      );
      throw new Error(
        `lane ${lane.name}: the incident ${why} before ${target.key} completed (kills so far: ${kills.map((k) => k.at).join(', ') || 'none'})`,
      );
    }
    const killedAtMs = Date.now();
    expect(await worker.kill('SIGKILL')).toBeNull();
    worker = lane.workers.start();
    kills.push({ at: target.key, killedAtMs });
  }
  return { lane, handle, result: await result, kills, ms: Date.now() - started };
}

/** Runs the lane's incident, SIGKILLing its worker at a drawn moment inside the rollout wait and inside the RDS wait. */
async function runWithKillsInsideWaits(lane: Lane, random: () => number): Promise<LaneRun & { draws: number[] }> {
  const started = Date.now();
  let worker = lane.workers.start();
  const handle = await startIncident(lane);
  const kills: LaneRun['kills'] = [];
  const draws: number[] = [];
  const waits: [string, string, number][] = [
    ['1-kubernetesDeploymentRollback', 'waitForRollout', MIN_READY_SECONDS],
    ['4-rdsSnapshotRestore', 'waitForInstanceAvailable', RDS_SECONDS],
  ];
  for (const [role, activityType, lastsSeconds] of waits) {
    const child = env.client.workflow.getHandle(`${lane.incidentId}-${role}`);
    const runningSince = await activityRunning(child, activityType, 240_000);
    // Somewhere in the wait's first half, leaving the rest as a margin on a busy machine.
    const delayMs = Math.round(500 + random() * (lastsSeconds / 2 - 0.5) * 1000);
    draws.push(delayMs);
    await new Promise((r) => setTimeout(r, Math.max(0, runningSince.getTime() + delayMs - Date.now())));
    const killedAtMs = Date.now();
    expect(await worker.kill('SIGKILL')).toBeNull();
    worker = lane.workers.start();
    kills.push({ at: `${role}/${activityType} +${delayMs} ms`, killedAtMs });
  }
  return { lane, handle, result: await settle(handle), kills, ms: Date.now() - started, draws };
}

const pathOf = (e: { path: string }) => e.path.split('?')[0] ?? '';

/** Rolled back, and each change applied exactly once, read from kubectl, moto and the recording proxy. */
async function expectRolledBackOnce(run: Pick<LaneRun, 'lane' | 'result'>): Promise<void> {
  const { lane, result } = run;
  expect({ lane: lane.name, outcome: result.outcome }).toEqual({ lane: lane.name, outcome: 'rolled-back' });
  expect(result.procedures.map((p) => p.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

  // Kubernetes: one undo, revision 2 became 4 (a second undo would have made 5).
  expect((await historyRows(namespace, lane.deployment)).map(([r]) => r)).toEqual([1, 3, 4]);
  expect(await imageOf(namespace, lane.deployment)).toBe('registry.local/web:1.1');

  // Lambda: the alias on 2, moved by one UpdateAlias call that moto applied.
  // moto answered one read here with an HTML error page once (a 500 of its own): read again.
  expect(await waitFor('the alias', () => aliasVersion(awsEndpoint(), lane.functionName), 10_000, 500)).toBe('2');
  const updates = aws.applied(
    (e) => e.action === 'UpdateAlias' && pathOf(e) === `/2015-03-31/functions/${lane.functionName}/aliases/production`,
  );
  expect({ lane: lane.name, updateAlias: updates.length }).toEqual({ lane: lane.name, updateAlias: 1 });

  // Route53: the old value back, by one applied change batch.
  const route53 = new Route53Client(awsEndpoint());
  const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: lane.zoneId }));
  route53.destroy();
  const a = records.ResourceRecordSets?.find((r) => r.Name === `${lane.record}.` && r.Type === 'A');
  expect(a?.ResourceRecords?.map((r) => r.Value)).toEqual(['192.0.2.10']);
  const changes = aws.applied(
    (e) => e.action === 'ChangeResourceRecordSets' && pathOf(e).startsWith(`/2013-04-01/hostedzone/${lane.zoneId}/`),
  );
  expect({ lane: lane.name, changeBatches: changes.length }).toEqual({ lane: lane.name, changeBatches: 1 });

  // RDS: exactly one restored instance beside the source.
  const instances = [...(await moto.instances()).keys()].filter(
    (id) => id === lane.sourceInstanceId || id.startsWith(`${lane.sourceInstanceId}-`),
  );
  expect(instances.sort()).toEqual([lane.sourceInstanceId, lane.targetInstanceId]);
}

/** Milliseconds from each kill to the next activity of the incident that completed. */
async function recoveries(run: LaneRun): Promise<void> {
  const done = (await incidentBoundaries(env.client, run.lane.incidentId)).map((b) => b.completedAtMs);
  for (const kill of run.kills) {
    const next = done.find((t) => t > kill.killedAtMs);
    kill.recoveredMs = next === undefined ? undefined : next - kill.killedAtMs;
  }
}

/** How many times the worker started the activity in `workflowId` (every run), highest attempt. */
async function lastAttempt(workflowId: string, incidentId: string, activityType: string): Promise<number> {
  const { attempts } = await completedActivities(env.client, workflowId, incidentId);
  return Math.max(0, ...(attempts[activityType] ?? []));
}

let boundaries: Boundary[] = [];
let scheduled: Scheduled[] = [];
let seeding: Promise<Lane[]>;

test('a clean run rolls back all four targets once and lists the activity boundaries', async () => {
  const clean = await seedLane('clean');
  // The kill lanes are seeded while the clean run runs.
  const seedingStarted = Date.now();
  seeding = Promise.all([
    ...Array.from({ length: CHAOS_LANES }, (_, i) => seedLane(`k${i}`)),
    seedLane('waits', MIN_READY_SECONDS),
  ]).finally(() => console.log(`chaos: ${CHAOS_LANES + 1} lanes seeded in ${Date.now() - seedingStarted} ms`));
  const run = await runWithBoundaryKills(clean, []);
  await expectRolledBackOnce(run);
  ({ boundaries, scheduled } = await incidentActivities(env.client, clean.incidentId));
  console.log(
    `chaos: clean run in ${run.ms} ms, ${boundaries.length} activity boundaries (a kill right after each costs about):\n` +
      boundaries.map((b, i) => `  ${i + 1}. ${b.key} (${killCostMs(b, scheduled) / 1000} s)`).join('\n'),
  );
  // Plans (dry runs), the four applies and the incident's own activities.
  for (const key of [
    '1-kubernetesDeploymentRollback/rolloutUndo#1',
    '1-kubernetesDeploymentRollback/waitForRollout#1',
    '2-lambdaAliasRollback/updateLambdaAlias#1',
    '3-route53RecordRollback/replaceRecordSet#1',
    '4-rdsSnapshotRestore/restoreFromSnapshot#1',
    '4-rdsSnapshotRestore/waitForInstanceAvailable#1',
    'incident/startFollowUpsWorkflow#1',
  ]) {
    expect(boundaries.map((b) => b.key)).toContain(key);
  }
  expect(new Set(boundaries.map((b) => b.key)).size).toBe(boundaries.length);
}, 180_000);

test(`the worker SIGKILLed at every boundary (CHAOS_LANES=${CHAOS_LANES}) and inside each wait (CHAOS_SEED=${CHAOS_SEED}): rolled back, each change applied once`, async () => {
  expect(boundaries.length).toBeGreaterThan(0);
  const lanes = await seeding;
  const waitsLane = lanes.pop()!;
  const random = seededRandom(CHAOS_SEED);
  console.log(`chaos: CHAOS_SEED=${CHAOS_SEED} CHAOS_LANES=${CHAOS_LANES}`);
  const dealt = dealBoundaries(boundaries, scheduled, lanes.length);
  const report = async <T extends LaneRun>(run: T): Promise<T> => {
    await recoveries(run);
    console.log(
      `chaos: lane ${run.lane.name} finished in ${run.ms} ms, ${run.kills.length} kills:\n` +
        run.kills.map((k) => `  ${k.at} (next activity done ${k.recoveredMs ?? '-'} ms later)`).join('\n'),
    );
    return run;
  };
  // Every lane to its end, even when one fails, so none is left polling a server that is gone.
  const settled = await Promise.allSettled([
    runWithKillsInsideWaits(waitsLane, random).then(report),
    ...lanes.map((lane, j) => runWithBoundaryKills(lane, dealt[j]!).then(report)),
  ]);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  expect(failures).toEqual([]);
  const [waits, ...runs] = settled.map((s) => (s as PromiseFulfilledResult<LaneRun>).value);

  // Every boundary was killed at, once.
  expect(runs.flatMap((r) => r.kills.map((k) => k.at)).sort()).toEqual(boundaries.map((b) => b.key).sort());
  for (const run of [waits!, ...runs]) await expectRolledBackOnce(run);
  // The kills inside the waits landed inside them: each wait finished on a retry.
  expect(
    await lastAttempt(`${waitsLane.incidentId}-1-kubernetesDeploymentRollback`, waitsLane.incidentId, 'waitForRollout'),
  ).toBeGreaterThan(1);
  expect(
    await lastAttempt(`${waitsLane.incidentId}-4-rdsSnapshotRestore`, waitsLane.incidentId, 'waitForInstanceAvailable'),
  ).toBeGreaterThan(1);
  // One restore call per incident reached moto (a retried one adopts the instance).
  expect(aws.applied('RestoreDBInstanceFromDBSnapshot')).toHaveLength(lanes.length + 2);
}, 900_000);
