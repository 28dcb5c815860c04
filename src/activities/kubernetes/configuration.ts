// ConfigMaps, and which Deployments use a ConfigMap or a Secret (volumes, projected volumes,
// envFrom and env valueFrom), so a configuration rollback restarts exactly those.
import { log } from '@temporalio/activity';
import type { Deployment, PodSpec } from '../../domain/kubernetes/objects.js';
import { nonRetryable } from '../failures.js';
import { paths, type KubeClient } from './client.js';

interface ConfigMap {
  metadata: { name: string; resourceVersion?: string; [k: string]: unknown };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  [k: string]: unknown;
}

export type ConfigSource = { configMap: string } | { secret: string };

/** True when the pod spec reads the ConfigMap or Secret in any of the ways Kubernetes allows. */
export function podSpecUses(spec: PodSpec | undefined, source: ConfigSource): boolean {
  if (!spec) return false;
  const isCm = 'configMap' in source;
  const name = isCm ? source.configMap : source.secret;
  const volumes = spec.volumes ?? [];
  if (volumes.some((v) => (isCm ? v.configMap?.name === name : v.secret?.secretName === name))) return true;
  if (
    volumes.some((v) =>
      (v.projected?.sources ?? []).some((s) => (isCm ? s.configMap?.name === name : s.secret?.name === name)),
    )
  ) {
    return true;
  }
  return [...spec.containers, ...(spec.initContainers ?? [])].some(
    (c) =>
      (c.envFrom ?? []).some((e) => (isCm ? e.configMapRef?.name === name : e.secretRef?.name === name)) ||
      (c.env ?? []).some((e) => {
        const from = e.valueFrom as
          { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } } | undefined;
        return isCm ? from?.configMapKeyRef?.name === name : from?.secretKeyRef?.name === name;
      }),
  );
}

export function createConfigurationActivities(kube: () => KubeClient) {
  const configMapLabel = (ref: { namespace: string; name: string }) =>
    `kubernetes: configmap "${ref.name}" in namespace "${ref.namespace}"`;

  async function readConfigMap(ref: {
    namespace: string;
    name: string;
  }): Promise<{ data: Record<string, string>; resourceVersion: string }> {
    const cm = await kube().get<ConfigMap>(paths.configMap(ref.namespace, ref.name), { context: configMapLabel(ref) });
    return { data: cm.data ?? {}, resourceVersion: cm.metadata.resourceVersion ?? '' };
  }

  /**
   * `kubectl apply` of a previous ConfigMap's data: replaces data exactly; no-op when equal. With
   * `expectedResourceVersion` (a pin), a ConfigMap edited since the plan is refused (TargetChanged).
   */
  async function applyConfigMapData(ref: {
    namespace: string;
    name: string;
    data: Record<string, string>;
    expectedResourceVersion?: string;
  }): Promise<{ changed: boolean; keysChanged: string[] }> {
    const path = paths.configMap(ref.namespace, ref.name);
    const call = { context: configMapLabel(ref) };
    const current = await kube().get<ConfigMap>(path, call);
    const before = current.data ?? {};
    const keys = new Set([...Object.keys(before), ...Object.keys(ref.data)]);
    const keysChanged = [...keys].filter((k) => before[k] !== ref.data[k]).sort();
    if (keysChanged.length === 0) return { changed: false, keysChanged };
    if (ref.expectedResourceVersion !== undefined && current.metadata.resourceVersion !== ref.expectedResourceVersion) {
      throw nonRetryable(
        'TargetChanged',
        `configmap/${ref.name} changed since the plan (resourceVersion ${ref.expectedResourceVersion} -> ${current.metadata.resourceVersion}); plan again`,
      );
    }
    // PUT with the read resourceVersion: a concurrent edit makes this a retried 409, not a lost update.
    await kube().replace(path, { ...current, data: ref.data }, call);
    log.info(`configmap/${ref.name} configured`, { keysChanged });
    return { changed: true, keysChanged };
  }

  /** A Secret's resourceVersion and key names (never its values): what a secret rollback pins. */
  async function readSecretVersion(ref: {
    namespace: string;
    name: string;
  }): Promise<{ exists: boolean; resourceVersion?: string; keys: string[] }> {
    const secret = await kube().get<ConfigMap>(paths.secret(ref.namespace, ref.name), {
      context: `kubernetes: secret "${ref.name}" in namespace "${ref.namespace}"`,
      allow: [404],
    });
    if (!secret) return { exists: false, keys: [] };
    return {
      exists: true,
      resourceVersion: secret.metadata.resourceVersion,
      keys: Object.keys(secret.data ?? {}).sort(),
    };
  }

  /** The Deployments of a namespace whose pods read the ConfigMap or Secret. */
  async function deploymentsUsing(ref: { namespace: string } & ConfigSource): Promise<string[]> {
    const list = await kube().get<{ items: Deployment[] }>(paths.deployments(ref.namespace), {
      context: `kubernetes: deployments in namespace "${ref.namespace}"`,
    });
    return list.items.filter((d) => podSpecUses(d.spec.template.spec, ref)).map((d) => d.metadata.name!);
  }

  return { readConfigMap, applyConfigMapData, readSecretVersion, deploymentsUsing };
}
