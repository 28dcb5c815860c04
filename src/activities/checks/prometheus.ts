// Provider: Prometheus's HTTP API, `GET /api/v1/query?query=...` (an instant query). The answer
// must be one sample (an instant vector of one series, or a scalar): aggregate in PromQL.
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { latencyLimit, prometheusValue, reading, type CheckResult } from '../../domain/verification.js';
import { judgePct, shown } from './http.js';

const now = () => new Date().toISOString();

export async function queryPrometheus(url: string, query: string): Promise<{ value: number } | { unreadable: string }> {
  const endpoint = `${url.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let res: Response;
  try {
    res = await fetch(endpoint, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { unreadable: `Prometheus ${shown(url)} unreachable (${cause})` };
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { unreadable: `Prometheus ${shown(url)} answered HTTP ${res.status} without JSON` };
  }
  return prometheusValue(body);
}

/** The query's value is the error rate in percent. */
export async function errorRateFromPrometheus(
  spec: CheckOf<'errorRate'>,
  source: { url: string; query: string },
): Promise<CheckResult> {
  const base = {
    check: 'errorRate',
    target: `Prometheus ${shown(source.url)}: ${source.query}`,
    expected: `< ${spec.maxPct}%`,
  };
  const answer = await queryPrometheus(source.url, source.query);
  if ('unreadable' in answer) return reading(base, 'unreadable', 'no value', now(), { detail: answer.unreadable });
  return judgePct(base, answer.value, spec.maxPct);
}

/** The query's value is a latency in seconds (Prometheus's unit), e.g. a histogram_quantile. */
export async function latencyFromPrometheus(
  spec: CheckOf<'latency'>,
  source: { url: string; query: string },
): Promise<CheckResult> {
  const { limitMs, expected } = latencyLimit(spec);
  const base = { check: 'latency', target: `Prometheus ${shown(source.url)}: ${source.query}`, expected };
  const answer = await queryPrometheus(source.url, source.query);
  if ('unreadable' in answer) return reading(base, 'unreadable', 'no value', now(), { detail: answer.unreadable });
  const ms = Math.round(answer.value * 1000 * 10) / 10;
  return reading(base, ms <= limitMs ? 'passed' : 'failed', `${ms} ms`, now(), { value: ms });
}
