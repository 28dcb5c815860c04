// The RDS restores' DATABASE_HOST switch on the local cluster: `kubectl set env` semantics, one
// rollout, and none when the Deployment already points at the restored instance.
import { seedRdsInstance } from '../../tools/demo/seedRds.js';
import type { RestoreResult } from '../../src/domain/restoreProgress.js';
import { deploymentManifest, getDeployment, historyRows } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../support/kubernetes.js';
import { startSlowRds, type SlowRds } from '../support/slowRds.js';
import { startClusterHarness, type Harness } from '../support/workflowHarness.js';

let moto: SlowRds;
let harness: Harness;
let namespace: string;
let sourceEndpoint: string;

beforeAll(async () => {
  moto = await startSlowRds();
  harness = await startClusterHarness(moto.endpoint);
});
afterAll(async () => {
  await harness?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  namespace = await createTestNamespace('db-host');
  await moto.reset();
  await moto.configure({ seconds: 0, outcome: 'available' });
  ({ endpoint: sourceEndpoint } = await seedRdsInstance(moto, 'orders-prod'));
  const app = deploymentManifest('orders-api', 'registry.local/orders:1.0', 2);
  app.spec.template.spec.containers[0]!.env.push({ name: 'DATABASE_HOST', value: sourceEndpoint });
  await kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(app) });
  await kubectl(['rollout', 'status', 'deployment/orders-api', '--timeout=60s'], { namespace });
});
afterEach(() => deleteTestNamespace(namespace));

const databaseHost = async () =>
  (await getDeployment(namespace, 'orders-api')).spec.template.spec.containers[0]!.env!.find(
    (e) => e.name === 'DATABASE_HOST',
  )?.value;

function restore(extra: object = {}) {
  return harness.start('rdsSnapshotRestore', {
    sourceInstanceId: 'orders-prod',
    targetInstanceId: 'orders-restored',
    app: { namespace, deployment: 'orders-api', env: 'DATABASE_HOST', rolloutTimeoutSeconds: 60 },
    ...extra,
  });
}

test('the restored endpoint becomes DATABASE_HOST through one rollout; a second run adopts and changes nothing', async () => {
  const result = (await (await restore()).result()) as RestoreResult;
  expect(result.databaseHost).toMatchObject({ from: sourceEndpoint, changed: true });
  expect(result.databaseHost?.to).toMatch(/^orders-restored\./);
  expect(await databaseHost()).toBe(result.databaseHost?.to);
  expect((await historyRows(namespace, 'orders-api')).map(([r]) => r)).toEqual([1, 2]);
  const generation = (await getDeployment(namespace, 'orders-api')).metadata.generation;

  const again = (await (await restore()).result()) as RestoreResult;
  expect(again).toMatchObject({ adopted: true, databaseHost: { changed: false } });
  expect((await getDeployment(namespace, 'orders-api')).metadata.generation).toBe(generation);
  expect((await historyRows(namespace, 'orders-api')).map(([r]) => r)).toEqual([1, 2]);
});

test('a dry run shows the old and new DATABASE_HOST and changes neither RDS nor the Deployment', async () => {
  const result = (await (await restore({ dryRun: true })).result()) as RestoreResult;
  expect(result.plan.databaseHost).toMatchObject({
    from: sourceEndpoint,
    to: expect.stringMatching(/^orders-restored\./),
  });
  expect(await databaseHost()).toBe(sourceEndpoint);
  expect([...(await moto.instances()).keys()]).toEqual(['orders-prod']);
});
