// A reverse proxy that injects faults in front of a real backend (moto, the Kubernetes API
// server), so tests can prove that every procedure rides out 500s, 503s, throttling, latency and
// lost answers, and still applies its change once.
//
//   const proxy = await startFaultProxy({ name: 'aws', flavor: 'aws', target: moto.endpoint });
//   ... point the worker's AWS endpoint at proxy.url ...
//   proxy.counts()            // { status500: 7, status503: 5, throttle: 9, latency: 6, dropAfter: 3 }
//   proxy.applied('UpdateAlias')   // the UpdateAlias requests the backend answered with a 2xx
//
// Before forwarding, on `faultRate` of the requests (seeded, deterministic for a given order of
// requests), it answers 500, 503 or a throttling error in the protocol's own shape without
// reaching the backend, or waits 50-300 ms and forwards; the kinds come in shuffled rounds, so
// any four faults include each of them. After forwarding, it can drop the answer
// of a mutating request (the backend applied it; the client sees a 503 or a reset connection):
// on `dropAfterRate` of them, and always for the first request of each distinct write when
// `dropFirstWrite` is set. Watches and followed logs are streamed through untouched.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export const FAULT_KINDS = ['status500', 'status503', 'throttle', 'latency', 'dropAfter'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const BEFORE_FORWARD: FaultKind[] = ['status500', 'status503', 'throttle', 'latency'];

function fromEnv(name: string, fallback: number, valid: (n: number) => boolean, what: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!valid(value)) throw new Error(`${name} must be ${what}, got "${raw}"`);
  return value;
}

/** The seed of every proxy: `FAULT_SEED` from the environment, or a fixed one. */
export const FAULT_SEED = fromEnv('FAULT_SEED', 20261120, Number.isSafeInteger, 'an integer');
/** The share of requests faulted before forwarding: `FAULT_RATE`, or 0.3. */
export const FAULT_RATE = fromEnv('FAULT_RATE', 0.3, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');

export interface FaultProxyOptions {
  /** Names the proxy in messages and varies its seed, so two proxies draw different faults. */
  name: string;
  /** The shape of the error answers. */
  flavor: 'aws' | 'kubernetes';
  /** The backend's base URL (http or https). */
  target: string;
  seed?: number;
  /** Share of requests answered with a fault before forwarding (or delayed). Default FAULT_RATE. */
  faultRate?: number;
  /** The kinds injected before forwarding, dealt in shuffled rounds. Default: 500, 503, throttling, latency. */
  kinds?: FaultKind[];
  /** Added latency, uniform in [min, max] ms. Default [50, 300]. */
  latencyMs?: [number, number];
  /** Share of forwarded mutating requests whose answer is dropped. Default 0.1. */
  dropAfterRate?: number;
  /** Kubernetes throttling answers carry `Retry-After: N` (the API server's priority and fairness sends 1). Default 1. */
  retryAfterSeconds?: number;
  /** Drop the answer of the first forwarded request of each distinct write (method and path). */
  dropFirstWrite?: boolean;
  /** Serve https with this certificate (the Kubernetes API server's own, so clients trust it). */
  serverTls?: { cert: string | Buffer; key: string | Buffer };
  /** Client certificate and CA for an https backend. */
  upstreamTls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
}

/** One request as the proxy saw it. */
export interface Exchange {
  seq: number;
  method: string;
  /** Path and query string. */
  path: string;
  /** The AWS operation (UpdateAlias, RestoreDBInstanceFromDBSnapshot), or "METHOD /path" otherwise. */
  action: string;
  mutating: boolean;
  fault?: FaultKind;
  /** Whether the request reached the backend. */
  forwarded: boolean;
  /** The backend's status, when it answered. */
  backendStatus?: number;
  /** The status the client got; undefined when its connection was reset. */
  clientStatus?: number;
  /** The SDK's `amz-sdk-invocation-id`: the same on the SDK's own re-sends of one call. */
  invocationId?: string;
}

export interface FaultProxy {
  url: string;
  seed: number;
  exchanges: Exchange[];
  /** How many faults of each kind were injected. */
  counts(): Record<FaultKind, number>;
  /** Requests for `action` (or matching it) that the backend applied (answered with a 2xx). */
  applied(action: string | ((e: Exchange) => boolean)): Exchange[];
  /** Stop or resume injecting (forwarding goes on). */
  setEnabled(enabled: boolean): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, so a seed replays the same draws (FAULT_SEED, CHAOS_SEED). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
}

/** The REST operations the procedures use, by method and path (the rest are named by method and path). */
const REST_ACTIONS: [string, RegExp, string][] = [
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/versions$/, 'ListVersionsByFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+$/, 'GetFunction'],
  ['POST', /^\/2017-03-31\/tags\/.+$/, 'TagResource'],
  ['POST', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
  ['GET', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
  ['GET', /^\/2013-04-01\/change\/[^/]+$/, 'GetChange'],
];

type AwsProtocol = 'query' | 'restXml' | 'json' | 'restJson';

interface RequestInfo {
  method: string;
  path: string;
  pathname: string;
  action: string;
  mutating: boolean;
  passThrough: boolean;
  protocol: AwsProtocol;
}

function describeRequest(req: http.IncomingMessage, body: Buffer, flavor: FaultProxyOptions['flavor']): RequestInfo {
  const method = req.method ?? 'GET';
  const requestPath = req.url ?? '/';
  const url = new URL(requestPath, 'http://proxy');
  const pathname = url.pathname;
  if (flavor === 'kubernetes') {
    const watch =
      ['true', '1'].includes(url.searchParams.get('watch') ?? '') || url.searchParams.get('follow') === 'true';
    return {
      method,
      path: requestPath,
      pathname,
      action: `${method} ${pathname}`,
      mutating: !['GET', 'HEAD', 'OPTIONS'].includes(method),
      passThrough: watch,
      protocol: 'restJson',
    };
  }
  const target = req.headers['x-amz-target'];
  const contentType = String(req.headers['content-type'] ?? '');
  let action: string | undefined;
  let protocol: AwsProtocol;
  if (typeof target === 'string') {
    protocol = 'json';
    action = target.split('.').pop();
  } else if (contentType.includes('x-www-form-urlencoded')) {
    protocol = 'query';
    action = new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
  } else {
    protocol = pathname.startsWith('/2013-04-01/') ? 'restXml' : 'restJson';
    action = REST_ACTIONS.find(([m, re]) => m === method && re.test(pathname))?.[2];
  }
  action ??= `${method} ${pathname}`;
  const readOnly = /^(Describe|List|Get)/.test(action) || ['GET', 'HEAD'].includes(method);
  return { method, path: requestPath, pathname, action, mutating: !readOnly, passThrough: false, protocol };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function awsAnswer(kind: 'status500' | 'status503' | 'throttle', protocol: AwsProtocol, requestId: string): Answer {
  const [status, code, message] =
    kind === 'throttle'
      ? protocol === 'restJson'
        ? [429, 'TooManyRequestsException', 'Rate exceeded']
        : [400, protocol === 'json' ? 'ThrottlingException' : 'Throttling', 'Rate exceeded']
      : kind === 'status500'
        ? [500, protocol === 'restJson' ? 'ServiceException' : 'InternalFailure', 'injected internal error']
        : [503, 'ServiceUnavailable', 'injected: service unavailable'];
  if (protocol === 'query' || protocol === 'restXml') {
    const type = status < 500 ? 'Sender' : 'Receiver';
    return {
      status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  const body =
    protocol === 'json'
      ? { __type: code, message }
      : {
          Type: status < 500 ? 'User' : 'Service',
          message,
          ...(status === 429 ? { Reason: 'CallerRateLimitExceeded' } : {}),
        };
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

function kubernetesAnswer(kind: 'status500' | 'status503' | 'throttle', retryAfterSeconds: number): Answer {
  const [code, reason, message] =
    kind === 'throttle'
      ? [429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later']
      : kind === 'status500'
        ? [500, 'InternalError', 'Internal error occurred: injected by the fault proxy']
        : [503, 'ServiceUnavailable', 'the server is currently unable to handle the request (injected)'];
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(code === 429 ? { details: { retryAfterSeconds } } : {}),
  };
  return {
    status: code,
    headers: {
      'content-type': 'application/json',
      ...(code === 429 ? { 'retry-after': String(retryAfterSeconds) } : {}),
    },
    body: JSON.stringify(status),
  };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const seed = options.seed ?? FAULT_SEED;
  const random = seededRandom(seed ^ hashName(options.name));
  const faultRate = options.faultRate ?? FAULT_RATE;
  const kinds = options.kinds ?? BEFORE_FORWARD;
  const [minLatency, maxLatency] = options.latencyMs ?? [50, 300];
  const dropAfterRate = options.dropAfterRate ?? 0.1;
  const target = new URL(options.target);
  const upstream = target.protocol === 'https:' ? https : http;
  const agent =
    target.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ...options.upstreamTls })
      : new http.Agent({ keepAlive: true });
  const exchanges: Exchange[] = [];
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const droppedWrites = new Set<string>();
  // Kinds are dealt in shuffled rounds, so a few faults already include every kind.
  const shuffle = seededRandom(seed ^ hashName(`${options.name}/kinds`));
  let round: FaultKind[] = [];
  const nextKind = (): FaultKind => {
    if (round.length === 0) {
      round = [...kinds];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    return round.pop()!;
  };
  let enabled = true;

  const answer = (res: http.ServerResponse, a: Answer) => {
    res.writeHead(a.status, { ...a.headers, 'content-length': Buffer.byteLength(a.body) });
    res.end(a.body);
  };
  const faultAnswer = (kind: 'status500' | 'status503' | 'throttle', info: RequestInfo, seq: number) =>
    options.flavor === 'kubernetes'
      ? kubernetesAnswer(kind, options.retryAfterSeconds ?? 1)
      : awsAnswer(kind, info.protocol, `fault-${options.name}-${seq}`);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const info = describeRequest(req, body, options.flavor);
    const invocation = req.headers['amz-sdk-invocation-id'];
    const exchange: Exchange = {
      seq: exchanges.length + 1,
      method: info.method,
      path: info.path,
      action: info.action,
      mutating: info.mutating,
      forwarded: false,
      ...(typeof invocation === 'string' ? { invocationId: invocation } : {}),
    };
    exchanges.push(exchange);

    // The same number of draws for every request, so one fault does not shift the ones after it.
    const [faulty, delay, drop, dropStyle] = [random(), random(), random(), random()];
    if (enabled && !info.passThrough && faulty < faultRate) {
      const kind = nextKind();
      if (kind === 'latency') {
        exchange.fault = 'latency';
        counts.latency += 1;
        await new Promise((r) => setTimeout(r, minLatency + Math.round(delay * (maxLatency - minLatency))));
      } else if (kind !== 'dropAfter') {
        exchange.fault = kind;
        counts[kind] += 1;
        const a = faultAnswer(kind, info, exchange.seq);
        exchange.clientStatus = a.status;
        answer(res, a);
        return;
      }
    }

    const writeKey = `${info.method} ${info.pathname}`;
    const dropThis =
      enabled &&
      info.mutating &&
      !info.passThrough &&
      ((options.dropFirstWrite === true && !droppedWrites.has(writeKey)) || drop < dropAfterRate);
    const backendReq = upstream.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: info.method,
      path: info.path,
      headers: forwardHeaders(req.headers),
      agent,
    });
    exchange.forwarded = true;
    backendReq.on('error', (error) => {
      exchange.clientStatus = 502;
      if (!res.headersSent) answer(res, { status: 502, headers: {}, body: `fault proxy: ${error.message}` });
      else res.destroy();
    });
    backendReq.on('response', (backendRes) => {
      exchange.backendStatus = backendRes.statusCode;
      if (!dropThis) {
        exchange.clientStatus = backendRes.statusCode;
        res.writeHead(backendRes.statusCode ?? 502, forwardHeaders(backendRes.headers));
        backendRes.pipe(res);
        return;
      }
      // The backend has applied the request: read its whole answer, then lose it.
      backendRes.resume();
      backendRes.on('end', () => {
        droppedWrites.add(writeKey);
        exchange.fault = 'dropAfter';
        counts.dropAfter += 1;
        if (dropStyle < 0.5) {
          res.socket?.destroy();
        } else {
          const a = faultAnswer('status503', info, exchange.seq);
          exchange.clientStatus = a.status;
          answer(res, a);
        }
      });
    });
    backendReq.end(body);
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, { status: 502, headers: {}, body: `fault proxy: ${String(error)}` });
      else res.destroy();
    });
  };
  const server = options.serverTls
    ? https.createServer({ cert: options.serverTls.cert, key: options.serverTls.key }, onRequest)
    : http.createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.serverTls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seed,
    exchanges,
    counts: () => ({ ...counts }),
    applied(action) {
      const match = typeof action === 'string' ? (e: Exchange) => e.action === action : action;
      return exchanges.filter((e) => match(e) && e.forwarded && e.backendStatus !== undefined && e.backendStatus < 300);
    },
    setEnabled(on) {
      enabled = on;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/**
 * A fault proxy in front of the local cluster's API server, and a kubeconfig that points at it.
 * The proxy serves the API server's own certificate (its SANs include 127.0.0.1), so the
 * kubeconfig keeps the cluster CA; it forwards with the admin kubeconfig's client certificate.
 */
export async function startKubernetesFaultProxy(
  options: Omit<FaultProxyOptions, 'flavor' | 'target' | 'serverTls' | 'upstreamTls'> & {
    kubeconfigPath: string;
    pkiDir: string;
  },
): Promise<{ proxy: FaultProxy; kubeconfigPath: string; cleanup(): Promise<void> }> {
  const { kubeconfigPath, pkiDir, ...proxyOptions } = options;
  const config = YAML.parse(await readFile(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  const cluster = config.clusters[0]!.cluster;
  const user = config.users[0]!.user;
  const fromBase64 = (v: string | undefined) => (v ? Buffer.from(v, 'base64') : undefined);
  const [cert, key] = await Promise.all([
    readFile(path.join(pkiDir, 'apiserver.crt')),
    readFile(path.join(pkiDir, 'apiserver.key')),
  ]);
  const proxy = await startFaultProxy({
    ...proxyOptions,
    flavor: 'kubernetes',
    target: cluster.server!,
    serverTls: { cert, key },
    upstreamTls: {
      ca: fromBase64(cluster['certificate-authority-data']),
      cert: fromBase64(user['client-certificate-data']),
      key: fromBase64(user['client-key-data']),
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'fault-kubeconfig-'));
  const proxied = path.join(dir, 'kubeconfig');
  cluster.server = proxy.url;
  await writeFile(proxied, YAML.stringify(config), { mode: 0o600 });
  return {
    proxy,
    kubeconfigPath: proxied,
    async cleanup() {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
