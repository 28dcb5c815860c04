// Blue-green and canary rollbacks on the local cluster, end states read back with kubectl.
import { deploymentManifest } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, kubectl, kubectlJson } from '../support/kubernetes.js';
import { startClusterHarness, type Harness } from '../support/workflowHarness.js';

let harness: Harness;
let namespace: string;

beforeAll(async () => {
  harness = await startClusterHarness();
});
afterAll(() => harness?.stop());
beforeEach(async () => {
  namespace = await createTestNamespace('traffic');
});
afterEach(() => deleteTestNamespace(namespace));

const apply = (obj: object) => kubectl(['apply', '-f', '-'], { namespace, input: JSON.stringify(obj) });

function service(name: string, selector: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ports: [{ port: 80 }] } };
}

function ingress(name: string, paths: [string, string][], annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: paths.map(([path, svc]) => ({
              path,
              pathType: 'Prefix',
              backend: { service: { name: svc, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

async function podsBehind(svc: string): Promise<string[]> {
  const slices = await kubectlJson<{ items: { endpoints?: { targetRef?: { name: string } }[] }[] }>(
    ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`],
    { namespace },
  );
  return slices.items.flatMap((s) => (s.endpoints ?? []).map((e) => e.targetRef?.name ?? ''));
}

test('blue-green: blue is scaled back to green size and ready, then the Service selects only blue pods', async () => {
  await apply(deploymentManifest('shop-blue', 'registry.local/shop:1.0', 0, { version: 'blue' }));
  await apply(deploymentManifest('shop-green', 'registry.local/shop:2.0', 3, { version: 'green' }));
  await apply(service('shop', { version: 'green' }));
  await kubectl(['rollout', 'status', 'deployment/shop-green', '--timeout=60s'], { namespace });

  const handle = await harness.start('blueGreenRollback', {
    namespace,
    service: 'shop',
    blueDeployment: 'shop-blue',
    greenDeployment: 'shop-green',
    timeoutSeconds: 60,
  });
  const result = await handle.result();

  expect(result).toMatchObject({
    changed: true,
    verified: true,
    dryRun: false,
    from: 'service/shop selector {"version":"green"}',
    to: 'service/shop selector {"version":"blue"}',
  });
  expect(result.blueReplicas).toEqual({ from: 0, to: 3 });
  expect(result.selector).toEqual({ from: { version: 'green' }, to: { version: 'blue' } });
  const svc = await kubectlJson<{ spec: { selector: Record<string, string> } }>(['get', 'service/shop'], { namespace });
  expect(svc.spec.selector).toEqual({ version: 'blue' });
  const blue = await kubectlJson<{ status: { readyReplicas: number } }>(['get', 'deployment/shop-blue'], { namespace });
  expect(blue.status.readyReplicas).toBe(3);
  const behind = await podsBehind('shop');
  expect(behind).toHaveLength(3);
  expect(behind.every((pod) => pod.startsWith('shop-blue-'))).toBe(true);
  expect(result.endpoints.sort()).toEqual(behind.sort());
});

test('blue-green dry run reports the plan and leaves selector and replicas alone', async () => {
  await apply(deploymentManifest('shop-blue', 'registry.local/shop:1.0', 0, { version: 'blue' }));
  await apply(service('shop', { version: 'green' }));
  const result = await (
    await harness.start('blueGreenRollback', {
      namespace,
      service: 'shop',
      blueDeployment: 'shop-blue',
      replicas: 2,
      dryRun: true,
    })
  ).result();
  expect(result.message).toContain('would scale shop-blue from 0 to 2');
  const svc = await kubectlJson<{ spec: { selector: Record<string, string> } }>(['get', 'service/shop'], { namespace });
  expect(svc.spec.selector).toEqual({ version: 'green' });
});

test('canary with an ingress-nginx canary Ingress: the canary Ingress and Deployment are gone, stable keeps all traffic', async () => {
  await apply(deploymentManifest('shop-canary', 'registry.local/shop:2.0', 1, { track: 'canary' }));
  await apply(ingress('shop', [['/', 'shop-stable']]));
  await apply(
    ingress('shop-canary', [['/', 'shop-canary']], {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '20',
    }),
  );
  const input = {
    namespace,
    ingress: 'shop-canary',
    canaryService: 'shop-canary',
    canaryDeployment: 'shop-canary',
    stableService: 'shop-stable',
  };
  const result = await (await harness.start('canaryRollback', input)).result();

  expect(result).toMatchObject({
    routing: 'deleted canary ingress "shop-canary"',
    canaryDeploymentDeleted: true,
    changed: true,
    verified: true,
    from: 'ingress/shop-canary routes to [shop-canary]',
  });
  const ingresses = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'ingress'], { namespace });
  expect(ingresses.items.map((i) => i.metadata.name)).toEqual(['shop']);
  const deployments = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'deployments'], {
    namespace,
  });
  expect(deployments.items.map((d) => d.metadata.name)).not.toContain('shop-canary');

  // Run again: already rolled back, nothing left to change.
  const again = await (await harness.start('canaryRollback', input)).result();
  expect(again).toMatchObject({ routing: 'ingress "shop-canary" already absent', canaryDeploymentDeleted: false });
});

test('canary with a canary path in one Ingress: the path is removed by JSON patch, the stable path stays', async () => {
  await apply(deploymentManifest('shop-canary', 'registry.local/shop:2.0', 1, { track: 'canary' }));
  await apply(
    ingress('shop', [
      ['/', 'shop-stable'],
      ['/beta', 'shop-canary'],
    ]),
  );
  const result = await (
    await harness.start('canaryRollback', {
      namespace,
      ingress: 'shop',
      canaryService: 'shop-canary',
      canaryDeployment: 'shop-canary',
      stableService: 'shop-stable',
    })
  ).result();
  expect(result.routing).toBe('removed 1 canary paths from ingress "shop"');
  const ing = await kubectlJson<{
    spec: { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] };
  }>(['get', 'ingress/shop'], { namespace });
  expect(ing.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name])).toEqual([['/', 'shop-stable']]);
});

test('blue-green plan, pin, apply: a selector moved after the plan fails TargetChanged and nothing is scaled', async () => {
  await apply(deploymentManifest('shop-blue', 'registry.local/shop:1.0', 0, { version: 'blue' }));
  await apply(service('shop', { version: 'green' }));
  const input = { namespace, service: 'shop', blueDeployment: 'shop-blue', replicas: 2, timeoutSeconds: 60 };
  const plan = await (await harness.start('blueGreenRollback', { ...input, dryRun: true })).result();
  expect(plan).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    pin: { selector: { version: 'green' } },
  });
  await kubectl(['patch', 'service/shop', '-p', '{"spec":{"selector":{"version":"canary"}}}'], { namespace });
  const error = await (
    await harness.start('blueGreenRollback', { ...input, pin: plan.pin })
  )
    .result()
    .catch((e: { cause?: Error }) => e);
  expect((error as { cause?: { type?: string; message: string } }).cause).toMatchObject({
    type: 'TargetChanged',
    message: 'service/shop selector moved from {"version":"green"} to {"version":"canary"} since the plan; plan again',
  });
  const blue = await kubectlJson<{ spec: { replicas: number } }>(['get', 'deployment/shop-blue'], { namespace });
  expect(blue.spec.replicas).toBe(0);
});

test('canary plan, pin, apply: an Ingress re-routed after the plan fails TargetChanged and keeps its canary', async () => {
  await apply(deploymentManifest('shop-canary', 'registry.local/shop:2.0', 1, { track: 'canary' }));
  await apply(
    ingress('shop', [
      ['/', 'shop-stable'],
      ['/beta', 'shop-canary'],
    ]),
  );
  const input = {
    namespace,
    ingress: 'shop',
    canaryService: 'shop-canary',
    canaryDeployment: 'shop-canary',
    stableService: 'shop-stable',
  };
  const plan = await (await harness.start('canaryRollback', { ...input, dryRun: true })).result();
  expect(plan.pin.ingress.paths).toEqual(['shop.example.com/ -> shop-stable', 'shop.example.com/beta -> shop-canary']);
  await apply(
    ingress('shop', [
      ['/', 'shop-stable'],
      ['/beta', 'shop-canary'],
      ['/gamma', 'shop-canary'],
    ]),
  );
  const error = await (
    await harness.start('canaryRollback', { ...input, pin: plan.pin })
  )
    .result()
    .catch((e: { cause?: Error }) => e);
  expect((error as { cause?: { type?: string; message: string } }).cause).toMatchObject({
    type: 'TargetChanged',
    message: expect.stringContaining('ingress/shop moved since the plan'),
  });
  const deployments = await kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'deployments'], {
    namespace,
  });
  expect(deployments.items.map((d) => d.metadata.name)).toContain('shop-canary');
});
