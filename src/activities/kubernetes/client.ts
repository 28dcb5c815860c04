// A small JSON client for the Kubernetes API. Configuration and authentication (certificates,
// tokens, exec plugins) come from @kubernetes/client-node's KubeConfig; requests and responses
// stay raw JSON so patches and comparisons are byte-for-byte what kubectl sends and sees.
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeApiRequest, formatApiRequest, type ApiRequest } from '../../domain/kubernetes/apiRequest.js';
import { nonRetryable } from '../failures.js';

export type PatchType = 'json' | 'merge' | 'strategic';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** The request that failed, as RBAC sees it (verb and resource). */
    readonly request?: ApiRequest,
  ) {
    super(message);
  }
}

/** Where the configuration comes from, decided at once; reading it needs client-node. */
type ConfigSource = { file: string } | { merged: true } | { inCluster: true };

interface Loaded {
  config: KubeConfig;
  server: string;
}

// @kubernetes/client-node is imported on first use: it costs about 300 ms, which every worker paid
// at start even when it only rolls back Lambda aliases (it is ESM-only, hence the async import).
let clientNode: Promise<typeof import('@kubernetes/client-node')> | undefined;

export function loadClientNode(): Promise<typeof import('@kubernetes/client-node')> {
  return (clientNode ??= import('@kubernetes/client-node'));
}

export class KubeClient {
  private constructor(private readonly loaded: Promise<Loaded>) {
    // Surfaced by the first request; not an unhandled rejection before it.
    loaded.catch(() => undefined);
  }

  /**
   * From a kubeconfig file, or KUBECONFIG / ~/.kube/config / in-cluster when none is given. A worker
   * with none of these fails at once (NotConfigured) instead of retrying against client-node's
   * fallback of http://localhost:8080.
   */
  static load(kubeconfigPath?: string, env: NodeJS.ProcessEnv = process.env): KubeClient {
    return new KubeClient(KubeClient.read(KubeClient.source(kubeconfigPath, env)));
  }

  /** Runs `then` if reading the configuration fails (so a caller can drop this client and retry). */
  onLoadFailure(then: () => void): void {
    this.loaded.catch(then);
  }

  private static source(kubeconfigPath: string | undefined, env: NodeJS.ProcessEnv): ConfigSource {
    const files = (kubeconfigPath ?? env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
    const homeConfig = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
    if (files.length > 0) {
      if (!files.some((f) => existsSync(f))) {
        throw notConfigured(`KUBECONFIG names no existing file (${files.join(path.delimiter)})`);
      }
      // A single file is loaded as given; a KUBECONFIG list (a:b) is merged as kubectl does.
      return files.length === 1 ? { file: files[0]! } : { merged: true };
    }
    if (existsSync(homeConfig)) return { file: homeConfig };
    if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return { inCluster: true };
    throw notConfigured('KUBECONFIG is not set, ~/.kube/config does not exist and this is not a pod');
  }

  private static async read(source: ConfigSource): Promise<Loaded> {
    const { KubeConfig } = await loadClientNode();
    const config = new KubeConfig();
    if ('file' in source) config.loadFromFile(source.file);
    else if ('merged' in source) config.loadFromDefault();
    else config.loadFromCluster();
    const cluster = config.getCurrentCluster();
    if (!cluster) throw notConfigured('the kubeconfig has no current cluster');
    // client-node refuses plain http unless the cluster skips TLS verification; say so once.
    if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
      throw notConfigured(
        `cluster "${cluster.name}" is served over plain http (${cluster.server}) without insecure-skip-tls-verify: true`,
      );
    }
    return { config, server: cluster.server.replace(/\/$/, '') };
  }

  /** One HTTP exchange; the body is returned as text, errors as KubeApiError with the API's Status. */
  private async exchange(method: string, path: string, body?: string, contentType?: string): Promise<string> {
    const { config, server } = await this.loaded;
    const url = new URL(`${server}${path}`);
    const options: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { Accept: 'application/json' },
      timeout: 30_000,
    };
    await config.applyToHTTPSOptions(options);
    if (body !== undefined) {
      options.headers = { ...options.headers, 'Content-Type': contentType ?? 'application/json' };
    }
    const transport = url.protocol === 'https:' ? https : http;
    const send = () =>
      new Promise<{ status: number; retryAfter?: string; text: string }>((resolve, reject) => {
        const req = transport.request(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'],
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`kubernetes: ${method} ${url.pathname} timed out`)));
        req.on('error', reject);
        req.end(body);
      });
    let answer = await send();
    // client-go's rule: a 429, or a 5xx with Retry-After, was not served and is sent again after
    // the seconds the server asked for (up to a budget; past it, the activity's retry policy).
    for (let retries = 0, waitedMs = 0; ; retries += 1) {
      const waitMs = retryAfterMs(answer.status, answer.retryAfter);
      if (waitMs === undefined || retries >= RETRY_AFTER_MAX_RETRIES || waitedMs + waitMs > RETRY_AFTER_MAX_WAIT_MS)
        break;
      await new Promise((r) => setTimeout(r, waitMs));
      waitedMs += waitMs;
      answer = await send();
    }
    const { status, text } = answer;
    if (status < 200 || status >= 300) {
      let apiStatus: { reason?: string; message?: string } = {};
      try {
        apiStatus = JSON.parse(text) as typeof apiStatus;
      } catch {
        // not a Status object (pod logs, proxies)
      }
      throw new KubeApiError(
        status,
        apiStatus.reason ?? String(status),
        apiStatus.message ?? text.slice(0, 500),
        describeApiRequest(method, path),
      );
    }
    return text;
  }

  private async request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const text = await this.exchange(method, path, body === undefined ? undefined : JSON.stringify(body), contentType);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** One request; with `call`, its API error is mapped here (see KubeCall), so call sites need no try. */
  private async send<T>(
    method: string,
    path: string,
    body: unknown,
    contentType: string | undefined,
    call: KubeCall | undefined,
  ): Promise<T> {
    try {
      return await this.request<T>(method, path, body, contentType);
    } catch (error) {
      if (!call) throw error;
      if (error instanceof KubeApiError && call.allow?.includes(error.status)) return undefined as T;
      throw fromKubeError(error, call.context);
    }
  }

  /** The raw text of a subresource such as pod logs. */
  text(path: string): Promise<string> {
    return this.exchange('GET', path);
  }

  /** The loaded configuration, for client-node's own helpers (Exec). */
  async kubeConfig(): Promise<KubeConfig> {
    return (await this.loaded).config;
  }

  /**
   * A watch on a collection (narrowed by `query`, e.g. a fieldSelector) that only counts its events,
   * so a poller can wake on a change instead of sleeping out its interval (kubectl rollout status
   * watches too). It never fails its caller: a watch that cannot open (no watch verb, a proxy that
   * does not stream) or that ends leaves the poller on its interval, and `problem` says why.
   */
  changeFeed(path: string, query: Record<string, string>): ChangeFeed {
    let events = 0;
    let waiters: (() => void)[] = [];
    let stopped = false;
    let request: http.ClientRequest | undefined;
    const wakeAll = () => {
      const pending = waiters;
      waiters = [];
      for (const wake of pending) wake();
    };
    const feed: ChangeFeed = {
      events: () => events,
      changedSince: (seen) =>
        events > seen ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
      stop: () => {
        stopped = true;
        request?.destroy();
        wakeAll();
      },
    };
    const ended = (error: unknown) => {
      if (!stopped) feed.problem = error instanceof Error ? error.message : String(error);
    };
    void (async () => {
      const { config, server } = await this.loaded;
      const url = new URL(`${server}${path}`);
      url.searchParams.set('watch', 'true');
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      const options: https.RequestOptions = {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: { Accept: 'application/json' },
      };
      await config.applyToHTTPSOptions(options);
      if (stopped) return;
      // Our own request (not client-node's Watch), so stop() can end it at any moment.
      request = (url.protocol === 'https:' ? https : http).request(options, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          ended(new Error(`watch answered HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        // One JSON line per event; only their arrival matters (the poller reads afresh).
        res.on('data', (chunk: string) => {
          const lines = chunk.split('\n').length - 1;
          if (lines === 0) return;
          events += lines;
          wakeAll();
        });
        res.on('end', () => ended(new Error('watch closed by the API server')));
        res.on('error', ended);
      });
      request.on('error', ended);
      request.end();
    })().catch(ended);
    return feed;
  }

  // Without `call`, a failed request rejects with the raw KubeApiError (for callers that decide by status).
  get<T>(path: string, call: KubeCall & Allowing): Promise<T | undefined>;
  get<T>(path: string, call?: KubeCall): Promise<T>;
  get<T>(path: string, call?: KubeCall): Promise<T | undefined> {
    return this.send<T>('GET', path, undefined, undefined, call);
  }
  create<T>(path: string, body: unknown, call?: KubeCall): Promise<T> {
    return this.send<T>('POST', path, body, undefined, call);
  }
  replace<T>(path: string, body: unknown, call?: KubeCall): Promise<T> {
    return this.send<T>('PUT', path, body, undefined, call);
  }
  patch<T>(path: string, patch: unknown, type: PatchType, call?: KubeCall): Promise<T> {
    return this.send<T>('PATCH', path, patch, PATCH_CONTENT_TYPE[type], call);
  }
  delete<T>(path: string, body: unknown, call: KubeCall & Allowing): Promise<T | undefined>;
  delete<T>(path: string, body?: unknown, call?: KubeCall): Promise<T>;
  delete<T>(path: string, body?: unknown, call?: KubeCall): Promise<T | undefined> {
    return this.send<T>('DELETE', path, body, undefined, call);
  }
}

/** What changeFeed returns: a count of watch events and a way to wait for the next one. */
export interface ChangeFeed {
  /** Events seen so far. */
  events(): number;
  /** Resolves once more than `seen` events were seen (at once if already), or when stopped. */
  changedSince(seen: number): Promise<void>;
  stop(): void;
  /** Why the watch could not open or ended early, if it did. */
  problem?: string;
}

/**
 * How a call reports a failed request: as the Temporal failure fromKubeError makes of it, with
 * `context` ("kubernetes: deployment "web" in namespace "demo"") leading its message.
 */
export interface KubeCall {
  context: string;
  allow?: readonly number[];
}

/**
 * Statuses that are an answer, not a failure (404: already absent; 409: already replaced): the
 * call resolves to undefined for them. Every 2xx answer to a GET or DELETE carries a body.
 */
interface Allowing {
  allow: readonly number[];
}

/** As client-go: at most 10 retries of one request on Retry-After; and here at most 10 s of waiting. */
const RETRY_AFTER_MAX_RETRIES = 10;
const RETRY_AFTER_MAX_WAIT_MS = 10_000;

/** The wait a 429 or 5xx answer asks for in whole seconds (Retry-After), or undefined: not to be sent again. */
function retryAfterMs(status: number, retryAfter: string | undefined): number | undefined {
  if (status !== 429 && (status < 500 || status > 599)) return undefined;
  if (retryAfter === undefined || !/^\d+$/.test(retryAfter.trim())) return undefined;
  return Number(retryAfter.trim()) * 1000;
}

function notConfigured(why: string) {
  return nonRetryable(
    'NotConfigured',
    `kubernetes: no usable configuration: ${why}; set KUBECONFIG to a kubeconfig file, or run in a pod ` +
      'with KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT and a service account token',
  );
}

/**
 * Maps API errors to Temporal failures by status: 404, 403, 401, 422 and every other 4xx are
 * non-retryable with `context` in the message; 408, 409 conflicts, 429, 5xx and network errors are
 * retried.
 */
export function fromKubeError(error: unknown, context: string): unknown {
  if (!(error instanceof KubeApiError)) return error;
  if (error.status === 404) return nonRetryable('NotFound', `${context}: not found`);
  if (error.status === 401 || error.status === 403) {
    return nonRetryable('Forbidden', `${context}: ${forbiddenMessage(error)}`);
  }
  if (error.status === 422 || error.status === 400) {
    return nonRetryable('InvalidInput', `${context}: rejected by the API server (${error.message})`);
  }
  // Any other client error (405, 410, 413, 415, ...) is refused again on retry; 408, 409 and 429 are not.
  if (error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status)) {
    return nonRetryable(
      'InvalidInput',
      `${context}: rejected by the API server (HTTP ${error.status} ${error.reason})`,
    );
  }
  return error;
}

/**
 * `Forbidden: patch deployments.apps "web" in namespace "demo" (<the API server's reason>)`: the
 * verb and resource a Role must grant, then the API server's own words (they name the user). A 401
 * is about the credentials, not the Role.
 */
export function forbiddenMessage(error: KubeApiError): string {
  if (error.status === 401) return `Unauthorized: the API server did not accept the credentials (${error.message})`;
  const what = error.request ? `${formatApiRequest(error.request)} ` : '';
  return `Forbidden: ${what}(${error.message})`;
}

/** How often a guarded patch re-reads and tries again inside one activity attempt. */
const GUARDED_PATCH_ATTEMPTS = 5;

/**
 * A JSON patch guarded by `test` ops of exactly the fields it changes (never the resourceVersion,
 * which every status update moves). `plan` reads the object and returns the ops, or undefined when
 * there is nothing to do. A 409, or a 422 after which the re-read plan differs, is a lost race:
 * plan again, a few times, then fail retryably. A 422 with an unchanged plan is an invalid patch.
 */
export async function patchWithGuard<T>(
  kube: KubeClient,
  path: string,
  context: string,
  plan: () => Promise<{ ops?: object[]; value: T }>,
): Promise<{ patched: boolean; value: T }> {
  let planned = await plan();
  for (let attempt = 1; ; attempt += 1) {
    if (!planned.ops) return { patched: false, value: planned.value };
    try {
      await kube.patch(path, planned.ops, 'json');
      return { patched: true, value: planned.value };
    } catch (error) {
      if (!(error instanceof KubeApiError) || (error.status !== 409 && error.status !== 422)) {
        throw fromKubeError(error, context);
      }
      const again = await plan();
      const raced = error.status === 409 || JSON.stringify(again.ops) !== JSON.stringify(planned.ops);
      if (!raced) throw fromKubeError(error, context);
      if (attempt >= GUARDED_PATCH_ATTEMPTS) {
        throw new Error(`${context}: changed by someone else during each of ${attempt} patches; will retry`);
      }
      planned = again;
    }
  }
}

export const paths = {
  deployment: (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  deployments: (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`,
  replicaSets: (ns: string, selector: string) =>
    `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=${encodeURIComponent(selector)}`,
  replicaSet: (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/replicasets/${name}`,
  pods: (ns: string, selector: string) => `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
  pod: (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`,
  podLog: (ns: string, pod: string, tailLines: number) =>
    `/api/v1/namespaces/${ns}/pods/${pod}/log?tailLines=${tailLines}`,
  service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  endpointSlices: (ns: string, service: string) =>
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`,
  ingress: (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`,
  ingresses: (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
  configMap: (ns: string, name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`,
  configMaps: (ns: string) => `/api/v1/namespaces/${ns}/configmaps`,
  secret: (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`,
  secrets: (ns: string) => `/api/v1/namespaces/${ns}/secrets`,
};
