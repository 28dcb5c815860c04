// Kubernetes fixtures made with kubectl, the tool our procedures must agree with.
import { kubectl, kubectlJson } from './kubernetes.js';

export function deploymentManifest(
  name: string,
  image: string,
  replicas = 2,
  extraLabels: Record<string, string> = {},
) {
  const labels = { app: name, ...extraLabels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image, env: [{ name: 'RELEASE', value: image }] }] },
      },
    },
  };
}

/** A Deployment with one revision per image, each rollout finished, change-cause recorded. */
export async function deploymentWithHistory(
  namespace: string,
  name: string,
  images = ['registry.local/web:1.0', 'registry.local/web:1.1', 'registry.local/web:1.2'],
  replicas = 2,
): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    namespace,
    input: JSON.stringify(deploymentManifest(name, images[0]!, replicas)),
  });
  await kubectl(['annotate', `deployment/${name}`, `kubernetes.io/change-cause=release ${images[0]}`], { namespace });
  await kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s'], { namespace });
  for (const image of images.slice(1)) {
    await kubectl(['set', 'image', `deployment/${name}`, `app=${image}`], { namespace });
    await kubectl(['annotate', '--overwrite', `deployment/${name}`, `kubernetes.io/change-cause=release ${image}`], {
      namespace,
    });
    await kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=60s'], { namespace });
  }
}

export interface DeploymentJson {
  metadata: { annotations?: Record<string, string>; generation?: number };
  spec: {
    replicas?: number;
    paused?: boolean;
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] };
    };
  };
  status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number };
}

export function getDeployment(namespace: string, name: string): Promise<DeploymentJson> {
  return kubectlJson<DeploymentJson>(['get', `deployment/${name}`], { namespace });
}

export async function imageOf(namespace: string, name: string): Promise<string> {
  return (await getDeployment(namespace, name)).spec.template.spec.containers[0]!.image;
}

/** `kubectl rollout history` rows as [revision, change-cause]. */
export async function historyRows(namespace: string, name: string): Promise<[number, string][]> {
  const out = await kubectl(['rollout', 'history', `deployment/${name}`], { namespace });
  return out
    .split('\n')
    .slice(2)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [revision, ...cause] = line.split(/\s+/);
      return [Number(revision), cause.join(' ')] as [number, string];
    });
}
