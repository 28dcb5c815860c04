// The RDS restores' order of steps around DATABASE_HOST, on the time-skipping server with moto,
// a real PostgreSQL for the verification queries and the local cluster for the Deployment:
// verify the new instance, only then switch, then check the rollout; switch back when it fails.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RestoreResult, RestoreStatus } from '../../src/domain/restoreProgress.js';
import { deploymentManifest, getDeployment } from '../support/deployments.js';
import { deleteTestNamespace, kubectl } from '../support/kubernetes.js';
import { createRestoreNamespace, startRestoreTestbed, type RestoreTestbed } from '../support/restoreTestbed.js';

const SOURCE = 'orders-prod.aaaaaaaaaa.us-east-1.rds.amazonaws.com';
const RESTORED = 'orders-restored.aaaaaaaaaa.us-east-1.rds.amazonaws.com';

let t: RestoreTestbed;
let namespace: string;
let n = 0;

beforeAll(async () => {
  t = await startRestoreTestbed({ cluster: true });
});
afterAll(async () => {
  await t?.stop();
});
beforeEach(async () => {
  namespace = await createRestoreNamespace('rds-switch');
  await t.resetRds(['orders-2026-11-20', 'orders-2026-11-21']);
});
afterEach(() => deleteTestNamespace(namespace));

/** `orders-api` with DATABASE_HOST at the source; `neverReady`: its pods never become Ready. */
async function deployApp(options: { neverReady?: boolean } = {}): Promise<void> {
  const labels: Record<string, string> = options.neverReady ? { 'rollback-orchestrator.test/never-ready': 'true' } : {};
  const app = deploymentManifest('orders-api', 'registry.local/orders:1.0', 1, labels);
  app.spec.template.spec.containers[0]!.env.push({ name: 'DATABASE_HOST', value: SOURCE });
  if (options.neverReady) app.spec.progressDeadlineSeconds = 2;
  await kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(app) });
  if (!options.neverReady)
    await kubectl(['rollout', 'status', 'deployment/orders-api', '--timeout=60s'], { namespace });
}

const databaseHost = async () =>
  (await getDeployment(namespace, 'orders-api')).spec.template.spec.containers[0]!.env!.find(
    (e) => e.name === 'DATABASE_HOST',
  )?.value;

function start(input: object): Promise<WorkflowHandle> {
  n += 1;
  return t.env.client.workflow.start('rdsSnapshotRestore', {
    args: [
      {
        sourceInstanceId: 'orders-prod',
        targetInstanceId: 'orders-restored',
        app: { namespace, deployment: 'orders-api', rolloutTimeoutSeconds: 60 },
        ...input,
      },
    ],
    taskQueue: t.taskQueue,
    workflowId: `rds-switch-${process.pid}-${n}`,
  });
}

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

test('a failed verification of the new instance leaves DATABASE_HOST untouched and names both endpoints', async () => {
  await deployApp();
  const generation = (await getDeployment(namespace, 'orders-api')).metadata.generation;
  const handle = await start({ verify: t.verify(1000) });
  const failure = await failureOf(handle);
  expect(await databaseHost()).toBe(SOURCE);
  expect((await getDeployment(namespace, 'orders-api')).metadata.generation).toBe(generation);
  expect(failure.type).toBe('VerificationFailed');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    `rds: verification of restored instance "orders-restored" (${RESTORED}) failed: critical rows: observed 42, expected >= 1000 (value below the minimum); DATABASE_HOST of deployment/orders-api stays ${SOURCE}`,
  );
  expect(await handle.query<RestoreStatus>('status')).toMatchObject({ phase: 'failed', error: failure.message });
});

test('a verified instance becomes DATABASE_HOST through one rollout, and the result says from and to', async () => {
  await deployApp();
  const result = (await (await start({ verify: t.verify() })).result()) as RestoreResult;
  expect(result).toMatchObject({
    changed: true,
    verified: true,
    dryRun: false,
    from: `instance "orders-prod" (${SOURCE})`,
    to: `instance "orders-restored" (${RESTORED})`,
    databaseHost: { from: SOURCE, to: RESTORED, changed: true },
  });
  expect(await databaseHost()).toBe(RESTORED);
});

test('an application that does not roll out on the new host is switched back, naming both endpoints', async () => {
  await deployApp({ neverReady: true });
  const failure = await failureOf(await start({ verify: t.verify() }));
  expect(await databaseHost()).toBe(SOURCE);
  expect(failure.type).toBe('VerificationFailed');
  expect(failure.message).toMatch(
    new RegExp(
      `^rds: deployment/orders-api in ${namespace} did not roll out with DATABASE_HOST=${RESTORED.replace(/\./g, '\\.')} \\(restored instance "orders-restored"\\) \\(.+\\); switched DATABASE_HOST back to ${SOURCE.replace(/\./g, '\\.')}$`,
    ),
  );
});

test('an apply whose pinned DATABASE_HOST has moved fails with TargetChanged and restores nothing', async () => {
  await deployApp();
  const plan = (await (await start({ dryRun: true })).result()) as RestoreResult;
  expect(plan.pin).toEqual({
    snapshotId: 'orders-2026-11-21',
    targetInstanceId: 'orders-restored',
    databaseHost: SOURCE,
  });
  await kubectl(['set', 'env', 'deployment/orders-api', 'DATABASE_HOST=orders-replica.example'], { namespace });
  const failure = await failureOf(await start({ pin: plan.pin }));
  expect(failure.type).toBe('TargetChanged');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toBe(
    `rds: DATABASE_HOST of deployment/orders-api in ${namespace} is now orders-replica.example, not the pinned ${SOURCE}; plan again`,
  );
  expect([...(await t.moto.instances()).keys()]).toEqual(['orders-prod']);
});
