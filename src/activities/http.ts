// Reading the error rate of a running service. The source is pluggable: one reader per kind of
// source (a health URL's error ratio now; Prometheus or CloudWatch later), one result shape.
import { describeErrorRateSource } from '../domain/incident/channels.js';
import type { ErrorRateSource, LatencySource } from '../domain/schemas/incidentRollback.js';
import { nonRetryable } from './failures.js';

export interface ErrorRateReading {
  errorRatePct: number;
  source: string;
  /** How the figure was read, for the timeline. */
  detail: string;
}

type Reader<S extends ErrorRateSource> = (source: S, timeoutMs: number) => Promise<ErrorRateReading>;
type Readers = { [K in ErrorRateSource['type']]: Reader<Extract<ErrorRateSource, { type: K }>> };

/**
 * A health URL answers JSON with one of `errorRatio` (0..1), `errorRatePct` (0..100), or
 * `errors` and `requests` counts. A 5xx answer without those fields counts as 100% errors: the
 * service's own health check says it is failing.
 */
export function errorRateFromHealthBody(body: unknown): number | undefined {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.errorRatio === 'number') return b.errorRatio * 100;
  if (typeof b.errorRatePct === 'number') return b.errorRatePct;
  if (typeof b.errors === 'number' && typeof b.requests === 'number') {
    return b.requests === 0 ? 0 : (b.errors / b.requests) * 100;
  }
  return undefined;
}

const readHealthUrl: Reader<Extract<ErrorRateSource, { type: 'healthUrl' }>> = async (source, timeoutMs) => {
  const name = describeErrorRateSource(source);
  let res: Response;
  try {
    res = await fetch(source.url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new Error(`http: ${name} unreachable (${cause})`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const pct = errorRateFromHealthBody(body);
  if (pct !== undefined) {
    return { errorRatePct: pct, source: name, detail: `HTTP ${res.status}, error rate ${pct}%` };
  }
  if (res.status >= 500) {
    return { errorRatePct: 100, source: name, detail: `HTTP ${res.status} without an error ratio: counted as 100%` };
  }
  throw nonRetryable(
    'InvalidInput',
    `http: ${name} answered HTTP ${res.status} without errorRatio, errorRatePct or errors/requests in its JSON`,
  );
};

const READERS: Readers = { healthUrl: readHealthUrl };

export function createHttpActivities(options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function probeErrorRate(source: ErrorRateSource): Promise<ErrorRateReading> {
    const reader = READERS[source.type] as Reader<ErrorRateSource> | undefined;
    if (!reader) throw nonRetryable('InvalidInput', `http: unknown error-rate source type "${source.type}"`);
    return reader(source, timeoutMs);
  }

  /**
   * The service's latency: the health URL's JSON `p95Ms` or `latencyMs` when it reports one,
   * else the time this request took. An unreachable URL or a 5xx is a failed probe (retried),
   * never a fast answer.
   */
  async function probeLatency(source: LatencySource): Promise<LatencyReading> {
    const name = describeErrorRateSource(source);
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(source.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new Error(`http: ${name} unreachable (${cause})`);
    }
    const text = await res.text();
    const tookMs = performance.now() - started;
    if (res.status >= 500) throw new Error(`http: ${name} answered HTTP ${res.status}`);
    let body: Record<string, unknown> = {};
    try {
      body = (JSON.parse(text) ?? {}) as Record<string, unknown>;
    } catch {
      // no JSON: the request's own timing is the reading
    }
    for (const key of ['p95Ms', 'latencyMs'] as const) {
      if (typeof body[key] === 'number') {
        return { latencyMs: body[key], source: name, detail: `HTTP ${res.status}, ${key} ${body[key]}` };
      }
    }
    return {
      latencyMs: Math.round(tookMs),
      source: name,
      detail: `HTTP ${res.status}, request took ${Math.round(tookMs)} ms`,
    };
  }

  return { probeErrorRate, probeLatency };
}

export interface LatencyReading {
  latencyMs: number;
  source: string;
  detail: string;
}

export type HttpActivities = ReturnType<typeof createHttpActivities>;
