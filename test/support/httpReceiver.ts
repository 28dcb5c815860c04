// A real HTTP server for tests: records every webhook POST (Slack, generic, escalation), serves
// a health URL whose error ratio the test sets, and answers any path with a chosen status.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  body: unknown;
  /** The `x-rollback-service` header our notifications carry, when present. */
  service?: string;
  /** Every header, to check that no request carries more than it should. */
  headers: http.IncomingHttpHeaders;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /**
   * POST bodies received on `path`; a notification for service S posted to `/slack` is also
   * found as `/slack/S`, so each test reads its own incident's messages from a shared channel.
   */
  posted<T = Record<string, unknown>>(path: string): T[];
  /** The error ratio (0..1) the `/health` endpoint reports. */
  setErrorRatio(ratio: number): void;
  /** The p95 latency the `/health` endpoint reports (undefined: none). */
  setP95Ms(ms: number | undefined): void;
  /** Makes `path` answer `status` from now on. */
  answer(path: string, status: number): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const statuses = new Map<string, number>();
  let errorRatio = 0;
  let p95Ms: number | undefined;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').replace(/\?.*$/, '');
      let body: unknown = data;
      try {
        body = data ? JSON.parse(data) : undefined;
      } catch {
        // kept as text
      }
      const service = req.headers['x-rollback-service'];
      requests.push({
        method: req.method ?? 'GET',
        path,
        body,
        service: typeof service === 'string' ? service : undefined,
        headers: req.headers,
      });
      const status = statuses.get(path) ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(path === '/health' && status === 200 ? JSON.stringify({ errorRatio, p95Ms }) : '{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    posted: <T>(path: string) =>
      requests
        .filter((r) => r.method === 'POST' && (r.path === path || `${r.path}/${r.service}` === path))
        .map((r) => r.body as T),
    setErrorRatio: (ratio) => (errorRatio = ratio),
    setP95Ms: (ms) => (p95Ms = ms),
    answer: (path, status) => statuses.set(path, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
