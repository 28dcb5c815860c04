// Provider: a service's own HTTP endpoints. `httpHealth` (one request per reading: 2xx passes),
// `errorRate` from a health URL's JSON, and `latency` over K timed requests.
import { errorRateFromHealthBody } from '../http.js';
import { describeErrorRateSource } from '../../domain/incident/channels.js';
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { latencyLimit, percentile, reading, type CheckResult } from '../../domain/verification.js';

const now = () => new Date().toISOString();

/** A URL for people: scheme, host and path, never credentials or a query. */
export const shown = (url: string) => describeErrorRateSource({ url }).replace(/^health URL /, '');

async function get(url: string, timeoutMs: number): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new Error(`${shown(url)} unreachable (${cause})`);
  }
}

export async function httpHealth(spec: CheckOf<'httpHealth'>): Promise<CheckResult> {
  const base = { check: 'httpHealth', target: `GET ${shown(spec.url)}`, expected: 'HTTP 2xx' };
  let res: Awaited<ReturnType<typeof get>>;
  try {
    res = await get(spec.url, spec.requestTimeoutMs);
  } catch (error) {
    return reading(base, 'unreadable', 'no answer', now(), { detail: (error as Error).message });
  }
  const ok = res.status >= 200 && res.status < 300;
  return reading(base, ok ? 'passed' : 'failed', `HTTP ${res.status}`, now(), { value: res.status });
}

export async function errorRateFromHealthUrl(spec: CheckOf<'errorRate'>, url: string): Promise<CheckResult> {
  const base = { check: 'errorRate', target: `health URL ${shown(url)}`, expected: `< ${spec.maxPct}%` };
  let res: Awaited<ReturnType<typeof get>>;
  try {
    res = await get(url, 10_000);
  } catch (error) {
    return reading(base, 'unreadable', 'no answer', now(), { detail: (error as Error).message });
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  const pct = errorRateFromHealthBody(body);
  if (pct === undefined) {
    // A 5xx without figures is the service saying it fails; a 2xx without figures says nothing.
    if (res.status >= 500) {
      return reading(base, 'failed', '100%', now(), {
        value: 100,
        detail: `HTTP ${res.status} without an error ratio`,
      });
    }
    return reading(base, 'unreadable', `HTTP ${res.status}, no error figures`, now(), {
      detail: 'the JSON has no errorRatio, errorRatePct or errors/requests',
    });
  }
  return judgePct(base, pct, spec.maxPct, `HTTP ${res.status}`);
}

export function judgePct(
  base: Pick<CheckResult, 'check' | 'target' | 'expected'>,
  pct: number,
  maxPct: number,
  detail?: string,
): CheckResult {
  const rounded = Math.round(pct * 1000) / 1000;
  return reading(base, pct < maxPct ? 'passed' : 'failed', `${rounded}%`, now(), { value: pct, detail });
}

/** `time curl` K times: the chosen percentile of the K timings; any failed request fails the reading. */
export async function latencyFromRequests(
  spec: CheckOf<'latency'>,
  url: string,
  requests: number,
): Promise<CheckResult> {
  const { limitMs, expected } = latencyLimit(spec);
  const base = { check: 'latency', target: `${spec.percentile} of ${requests} GET ${shown(url)}`, expected };
  const timings: number[] = [];
  const bad: string[] = [];
  for (let i = 0; i < requests; i++) {
    try {
      const res = await get(url, Math.max(1000, limitMs * 10));
      if (res.status >= 500) bad.push(`HTTP ${res.status}`);
      else timings.push(res.ms);
    } catch (error) {
      bad.push((error as Error).message);
    }
  }
  if (timings.length === 0) {
    return reading(base, 'unreadable', 'no answer', now(), { detail: bad[0] ?? 'no request made' });
  }
  const p = Number(spec.percentile.slice(1));
  const ms = Math.round(percentile(timings, p)! * 10) / 10;
  const detail = `${timings.length} answers${bad.length > 0 ? `, ${bad.length} failed (${bad[0]})` : ''}`;
  // A request that failed is not a fast one: the reading fails.
  const status = bad.length === 0 && ms <= limitMs ? 'passed' : 'failed';
  return reading(base, status, `${ms} ms`, now(), { value: ms, detail });
}
