// ConfigMap and Secret rollbacks on the local cluster, with Secrets Manager in moto.
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { deploymentManifest, getDeployment } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, kubectl, kubectlJson } from '../support/kubernetes.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startClusterHarness, type Harness } from '../support/workflowHarness.js';

let harness: Harness;
let moto: MotoServer;
let namespace: string;

beforeAll(async () => {
  moto = await startMoto();
  harness = await startClusterHarness(moto.endpoint);
});
afterAll(async () => {
  await harness?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  namespace = await createTestNamespace('config');
  await moto.reset();
});
afterEach(() => deleteTestNamespace(namespace));

const apply = (obj: object) => kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(obj) });
const restartedAt = async (name: string) =>
  (await getDeployment(namespace, name)).spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];

function deploymentUsing(
  name: string,
  podSpecExtra: Record<string, unknown>,
  containerExtra: Record<string, unknown> = {},
) {
  const d = deploymentManifest(name, 'registry.local/api:1.0', 1);
  Object.assign(d.spec.template.spec, podSpecExtra);
  Object.assign(d.spec.template.spec.containers[0]!, containerExtra);
  return d;
}

describe('configMapRollback', () => {
  beforeEach(async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config' },
      data: { LOG_LEVEL: 'debug', FEATURE_X: 'on' },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config-backup' },
      data: { LOG_LEVEL: 'info' },
    });
    await apply(deploymentUsing('api', {}, { envFrom: [{ configMapRef: { name: 'app-config' } }] }));
    await apply(deploymentUsing('worker', { volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }] }));
    await apply(deploymentUsing('other', {}));
    for (const d of ['api', 'worker', 'other']) {
      await kubectl(['rollout', 'status', `deployment/${d}`, '--timeout=60s'], { namespace });
    }
  });

  test('restores the backup data and restarts exactly the Deployments that read it', async () => {
    const result = await (
      await harness.start('configMapRollback', {
        namespace,
        configMap: 'app-config',
        backupConfigMap: 'app-config-backup',
        timeoutSeconds: 60,
      })
    ).result();
    expect(result).toMatchObject({
      changed: true,
      dataChanged: true,
      verified: true,
      dryRun: false,
      keysChanged: ['FEATURE_X', 'LOG_LEVEL'],
      to: 'data of configmap/app-config-backup',
    });
    expect(result.restarted.map((r: { deployment: string }) => r.deployment).sort()).toEqual(['api', 'worker']);
    const cm = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap/app-config'], { namespace });
    expect(cm.data).toEqual({ LOG_LEVEL: 'info' });
    expect(await restartedAt('api')).toBe(result.restarted[0].restartedAt);
    expect(await restartedAt('worker')).toBe(result.restarted[0].restartedAt);
    expect(await restartedAt('other')).toBeUndefined();
  });

  test('dry run names the keys and Deployments and changes nothing', async () => {
    const result = await (
      await harness.start('configMapRollback', {
        namespace,
        configMap: 'app-config',
        previousData: { LOG_LEVEL: 'debug' },
        dryRun: true,
      })
    ).result();
    expect(result.message).toBe(
      'dry run: would change keys [FEATURE_X] of configmap "app-config" and restart [api, worker]',
    );
    const cm = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap/app-config'], { namespace });
    expect(cm.data).toEqual({ LOG_LEVEL: 'debug', FEATURE_X: 'on' });
    expect(await restartedAt('api')).toBeUndefined();
  });

  test('plan, pin, apply: a ConfigMap edited after the plan fails TargetChanged and keeps the edit', async () => {
    const input = { namespace, configMap: 'app-config', backupConfigMap: 'app-config-backup', timeoutSeconds: 60 };
    const plan = await (await harness.start('configMapRollback', { ...input, dryRun: true })).result();
    expect(plan).toMatchObject({
      dryRun: true,
      changed: false,
      verified: false,
      pin: { resourceVersion: expect.any(String) },
    });
    await kubectl(['patch', 'configmap/app-config', '-p', '{"data":{"LOG_LEVEL":"trace"}}'], { namespace });
    const error = await (
      await harness.start('configMapRollback', { ...input, pin: plan.pin })
    )
      .result()
      .catch((e: { cause?: Error }) => e);
    expect((error as { cause?: { type?: string; message: string } }).cause).toMatchObject({
      type: 'TargetChanged',
      message: expect.stringContaining('configmap/app-config changed since the plan'),
    });
    const cm = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap/app-config'], { namespace });
    expect(cm.data).toEqual({ LOG_LEVEL: 'trace', FEATURE_X: 'on' });
    expect(await restartedAt('api')).toBeUndefined();
  });
});

describe('secretRollback', () => {
  const OLD = 'old-s3cret-pa55word';
  const NEW = 'new-leaked-pa55word';

  test('writes AWSPREVIOUS into the Secret, restarts its users, and the value is nowhere in history', async () => {
    const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region });
    await sm.send(
      new CreateSecretCommand({ Name: 'prod/db', SecretString: JSON.stringify({ password: OLD, user: 'app' }) }),
    );
    await sm.send(
      new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: JSON.stringify({ password: NEW, user: 'app' }) }),
    );
    sm.destroy();
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials' },
      stringData: { password: NEW, user: 'app' },
    });
    await apply(
      deploymentUsing(
        'api',
        {},
        { env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }] },
      ),
    );
    await kubectl(['rollout', 'status', 'deployment/api', '--timeout=60s'], { namespace });

    const handle = await harness.start('secretRollback', {
      namespace,
      secret: 'db-credentials',
      secretId: 'prod/db',
      timeoutSeconds: 60,
    });
    const result = await handle.result();

    expect(result).toMatchObject({
      changed: true,
      dataChanged: true,
      verified: true,
      dryRun: false,
      keys: ['password', 'user'],
      versionStage: 'AWSPREVIOUS',
    });
    expect(result.restarted.map((r: { deployment: string }) => r.deployment)).toEqual(['api']);
    const secret = await kubectlJson<{ data: Record<string, string> }>(['get', 'secret/db-credentials'], { namespace });
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe(OLD);
    expect(await restartedAt('api')).toBe(result.restarted[0].restartedAt);

    const history = JSON.stringify(await handle.fetchHistory());
    for (const value of [OLD, NEW, Buffer.from(OLD).toString('base64'), Buffer.from(NEW).toString('base64')]) {
      expect(history).not.toContain(value);
    }
    // Payloads are base64 in the history JSON: decode every one and look again.
    const payloads = [...history.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString(),
    );
    expect(payloads.length).toBeGreaterThan(0);
    for (const decoded of payloads) {
      expect(decoded).not.toContain(OLD);
      expect(decoded).not.toContain(NEW);
    }

    // Again: the Secret already holds AWSPREVIOUS, so nothing changes.
    const again = await (
      await harness.start('secretRollback', {
        namespace,
        secret: 'db-credentials',
        secretId: 'prod/db',
        timeoutSeconds: 60,
      })
    ).result();
    expect(again).toMatchObject({ dataChanged: false, verified: true });
  });

  test('plan, pin, apply: a Secret changed after the plan fails TargetChanged and is left alone', async () => {
    const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region });
    await sm.send(new CreateSecretCommand({ Name: 'prod/pin', SecretString: JSON.stringify({ password: OLD }) }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'prod/pin', SecretString: JSON.stringify({ password: NEW }) }));
    sm.destroy();
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pinned' }, stringData: { password: NEW } });
    const input = { namespace, secret: 'pinned', secretId: 'prod/pin', deployments: [], timeoutSeconds: 60 };
    const plan = await (await harness.start('secretRollback', { ...input, dryRun: true })).result();
    expect(plan.pin).toEqual({ resourceVersion: expect.any(String), versionId: expect.any(String) });
    await kubectl(['label', 'secret/pinned', 'rotated-by=someone'], { namespace });
    const error = await (
      await harness.start('secretRollback', { ...input, pin: plan.pin })
    )
      .result()
      .catch((e: { cause?: Error }) => e);
    expect((error as { cause?: { type?: string; message: string } }).cause).toMatchObject({
      type: 'TargetChanged',
      message: expect.stringContaining('secret/pinned resourceVersion'),
    });
    const secret = await kubectlJson<{ data: Record<string, string> }>(['get', 'secret/pinned'], { namespace });
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe(NEW);
  });

  test('a secret without an AWSPREVIOUS version fails clearly and touches nothing', async () => {
    const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region });
    await sm.send(new CreateSecretCommand({ Name: 'prod/new', SecretString: '{"password":"only-one"}' }));
    sm.destroy();
    const error = await (
      await harness.start('secretRollback', { namespace, secret: 'x', secretId: 'prod/new' })
    )
      .result()
      .catch((e: { cause?: Error }) => e);
    expect((error as { cause?: Error }).cause?.message).toBe(
      'secrets: secret "prod/new" has no version in stage AWSPREVIOUS',
    );
  });
});
