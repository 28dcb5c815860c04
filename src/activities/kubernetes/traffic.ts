// Traffic switches: a Service's selector (blue-green) and an Ingress's canary routing, each
// read back from the API so a workflow can verify where traffic goes.
import { log } from '@temporalio/activity';
import type { Pod } from '../../domain/kubernetes/objects.js';
import { stableJson } from '../../domain/textDiff.js';
import { nonRetryable } from '../failures.js';
import { pollUntil } from '../waiting.js';
import { patchWithGuard, paths, type KubeClient } from './client.js';

interface Service {
  metadata: { name: string };
  spec: { selector?: Record<string, string> };
}

interface EndpointSlice {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { kind?: string; name?: string } }[];
}

interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

interface Ingress {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    defaultBackend?: IngressBackend;
    rules?: { host?: string; http?: { paths: { path?: string; pathType?: string; backend: IngressBackend }[] } }[];
  };
}

export const NGINX_CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';

export interface EndpointReport {
  ready: { pod: string; ip: string; labels: Record<string, string> }[];
  notReady: number;
}

export interface IngressRouting {
  ingresses: { name: string; canary: boolean; services: string[] }[];
}

export interface IngressState {
  exists: boolean;
  canary: boolean;
  services: string[];
  /** Each rule path as "host/path -> service", in the Ingress's order. */
  paths: string[];
}

function routingOf(ing: Ingress): { canary: boolean; services: string[] } {
  const backends = [
    ing.spec.defaultBackend,
    ...(ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
  ];
  return {
    canary: ing.metadata.annotations?.[NGINX_CANARY_ANNOTATION] === 'true',
    services: [...new Set(backends.map((b) => b?.service?.name).filter((s): s is string => Boolean(s)))],
  };
}

export function createTrafficActivities(kube: () => KubeClient) {
  const deploymentLabel = (ref: { namespace: string; deployment: string }) =>
    `kubernetes: deployment "${ref.deployment}" in namespace "${ref.namespace}"`;
  const serviceLabel = (namespace: string, service: string) =>
    `kubernetes: service "${service}" in namespace "${namespace}"`;

  async function readService(namespace: string, service: string): Promise<Service> {
    return kube().get<Service>(paths.service(namespace, service), { context: serviceLabel(namespace, service) });
  }

  /** `kubectl patch service -p '{"spec":{"selector":{...}}}'` (strategic merge, as kubectl patch). */
  async function patchServiceSelector(ref: {
    namespace: string;
    service: string;
    selector: Record<string, string>;
    /** The selector the plan saw (a pin): any other one is refused as TargetChanged. */
    expected?: Record<string, string>;
  }): Promise<{ changed: boolean; previous: Record<string, string> }> {
    const service = await readService(ref.namespace, ref.service);
    const previous = service.spec.selector ?? {};
    if (Object.entries(ref.selector).every(([k, v]) => previous[k] === v)) return { changed: false, previous };
    if (ref.expected && stableJson(ref.expected) !== stableJson(previous)) {
      throw nonRetryable(
        'TargetChanged',
        `service/${ref.service} selector moved from ${JSON.stringify(ref.expected)} to ${JSON.stringify(previous)} since the plan; plan again`,
      );
    }
    await kube().patch(paths.service(ref.namespace, ref.service), { spec: { selector: ref.selector } }, 'strategic', {
      context: serviceLabel(ref.namespace, ref.service),
    });
    log.info(`service/${ref.service} patched`, { selector: ref.selector });
    return { changed: true, previous };
  }

  async function endpointsOf(namespace: string, service: string): Promise<EndpointReport> {
    const where = `kubernetes: endpoints of service "${service}" in namespace "${namespace}"`;
    const slices = await kube().get<{ items: EndpointSlice[] }>(paths.endpointSlices(namespace, service), {
      context: where,
    });
    const report: EndpointReport = { ready: [], notReady: 0 };
    for (const endpoint of slices.items.flatMap((s) => s.endpoints ?? [])) {
      if (endpoint.conditions?.ready === false) {
        report.notReady += 1;
        continue;
      }
      const podName = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined;
      // A pod deleted since the slice was read has no labels left to match.
      const pod = podName
        ? await kube().get<Pod>(paths.pod(namespace, podName), { context: where, allow: [404] })
        : undefined;
      const labels = pod?.metadata.labels ?? {};
      report.ready.push({ pod: podName ?? '', ip: endpoint.addresses[0] ?? '', labels });
    }
    return report;
  }

  /**
   * Waits until every ready endpoint of the Service is a pod carrying `labels`, and there are
   * `count` of them: the proof that traffic goes where the selector says.
   */
  async function waitForServiceEndpoints(ref: {
    namespace: string;
    service: string;
    labels: Record<string, string>;
    count: number;
    timeoutSeconds?: number;
  }): Promise<EndpointReport> {
    const matches = (l: Record<string, string>) => Object.entries(ref.labels).every(([k, v]) => l[k] === v);
    return pollUntil<EndpointReport, EndpointReport>({
      what: `service "${ref.service}" endpoints to be ${ref.count} pods with ${JSON.stringify(ref.labels)}`,
      intervalMs: 500,
      timeoutMs: (ref.timeoutSeconds ?? 120) * 1000,
      describe: (r) => `${r.ready.length} ready endpoints, ${r.ready.filter((e) => matches(e.labels)).length} matching`,
      poll: async () => {
        const report = await endpointsOf(ref.namespace, ref.service);
        const done = report.ready.length === ref.count && report.ready.every((e) => matches(e.labels));
        return done ? { done: true, result: report, progress: report } : { done: false, progress: report };
      },
    });
  }

  /**
   * Removes canary routing: an ingress-nginx canary Ingress (annotation canary: "true") is deleted;
   * in an ordinary Ingress, the paths whose backend is the canary Service are removed by one JSON
   * patch, each guarded by a test of what it removes.
   */
  async function removeCanaryRouting(ref: {
    namespace: string;
    ingress: string;
    canaryService: string;
  }): Promise<{ changed: boolean; action: string }> {
    const path = paths.ingress(ref.namespace, ref.ingress);
    const where = `kubernetes: ingress "${ref.ingress}" in namespace "${ref.namespace}"`;
    const ingress = await kube().get<Ingress>(path, { context: where, allow: [404] });
    if (!ingress) return { changed: false, action: `ingress "${ref.ingress}" already absent` };
    if (ingress.metadata.annotations?.[NGINX_CANARY_ANNOTATION] === 'true') {
      await kube().delete(path, undefined, { context: where, allow: [404] });
      return { changed: true, action: `deleted canary ingress "${ref.ingress}"` };
    }
    const canaryPaths = (ing: Ingress) => {
      const ops: object[] = [];
      (ing.spec.rules ?? []).forEach((rule, r) => {
        const found = rule.http?.paths ?? [];
        for (let p = found.length - 1; p >= 0; p--) {
          if (found[p]!.backend.service?.name !== ref.canaryService) continue;
          const at = `/spec/rules/${r}/http/paths/${p}`;
          ops.push({ op: 'test', path: at, value: found[p] }, { op: 'remove', path: at });
        }
      });
      return ops;
    };
    // Each removed path is tested as read; a lost race re-reads the Ingress and plans again.
    let read: Ingress | undefined = ingress;
    const { patched, value: removed } = await patchWithGuard(kube(), path, where, async () => {
      const ops = canaryPaths(read ?? (await kube().get<Ingress>(path, { context: where })));
      read = undefined;
      return { ops: ops.length > 0 ? ops : undefined, value: ops.length / 2 };
    });
    if (!patched) {
      return { changed: false, action: `no path of ingress "${ref.ingress}" routes to "${ref.canaryService}"` };
    }
    return { changed: true, action: `removed ${removed} canary paths from ingress "${ref.ingress}"` };
  }

  /** Where one Ingress routes (absent counts as routing nowhere): what a canary rollback pins. */
  async function readIngressRouting(ref: { namespace: string; ingress: string }): Promise<IngressState> {
    const ingress = await kube().get<Ingress>(paths.ingress(ref.namespace, ref.ingress), {
      context: `kubernetes: ingress "${ref.ingress}" in namespace "${ref.namespace}"`,
      allow: [404],
    });
    if (!ingress) return { exists: false, canary: false, services: [], paths: [] };
    const rulePaths = (ingress.spec.rules ?? []).flatMap((r) =>
      (r.http?.paths ?? []).map((p) => `${r.host ?? ''}${p.path ?? '/'} -> ${p.backend.service?.name ?? '(none)'}`),
    );
    return { exists: true, ...routingOf(ingress), paths: rulePaths };
  }

  /** Which Services every Ingress of the namespace routes to. */
  async function ingressRouting(ref: { namespace: string }): Promise<IngressRouting> {
    const list = await kube().get<{ items: Ingress[] }>(paths.ingresses(ref.namespace), {
      context: `kubernetes: ingresses in namespace "${ref.namespace}"`,
    });
    return { ingresses: list.items.map((ing) => ({ name: ing.metadata.name, ...routingOf(ing) })) };
  }

  /** `kubectl delete deployment NAME`; already gone is success. */
  async function deleteDeployment(ref: { namespace: string; deployment: string }): Promise<{ deleted: boolean }> {
    const answer = await kube().delete(
      paths.deployment(ref.namespace, ref.deployment),
      { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      { context: deploymentLabel(ref), allow: [404] },
    );
    return { deleted: answer !== undefined };
  }

  /** Whether a Deployment exists, and its replica count. */
  async function deploymentReplicas(ref: {
    namespace: string;
    deployment: string;
  }): Promise<{ exists: boolean; replicas: number }> {
    const d = await kube().get<{ spec: { replicas?: number } }>(paths.deployment(ref.namespace, ref.deployment), {
      context: deploymentLabel(ref),
      allow: [404],
    });
    return d ? { exists: true, replicas: d.spec.replicas ?? 1 } : { exists: false, replicas: 0 };
  }

  return {
    readServiceSelector: async (ref: { namespace: string; service: string }) =>
      (await readService(ref.namespace, ref.service)).spec.selector ?? {},
    patchServiceSelector,
    waitForServiceEndpoints,
    removeCanaryRouting,
    readIngressRouting,
    ingressRouting,
    deleteDeployment,
    deploymentReplicas,
  };
}
