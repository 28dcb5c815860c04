// The one result shape of every verification check, so a verification step can run any list of
// them and report them the same way.

export interface VerificationCheck {
  check: string;
  passed: boolean;
  observed: string;
  expected: string;
  detail?: string;
}

export function failedChecks(checks: readonly VerificationCheck[]): VerificationCheck[] {
  return checks.filter((c) => !c.passed);
}

export function describeFailures(checks: readonly VerificationCheck[]): string {
  return failedChecks(checks)
    .map((c) => `${c.check}: observed ${c.observed}, expected ${c.expected}${c.detail ? ` (${c.detail})` : ''}`)
    .join('; ');
}

// ---- the verification suite (issue 12, docs/verification.md) ------------------------------

/**
 * A check's verdict. `unreadable` means the source could not be read (unreachable, no
 * datapoint, not configured): never a pass, and not a measured failure either.
 */
export type CheckStatus = 'passed' | 'failed' | 'unreadable';

/** The one shape of every check's result, for a reading and for the check as a whole. */
export interface CheckResult {
  check: string;
  /** What was checked, for people ("GET http://svc/health", "demo/web"); never a secret. */
  target: string;
  status: CheckStatus;
  /** `status === 'passed'`: kept for readers that only want a yes or no. */
  passed: boolean;
  observed: string;
  expected: string;
  detail?: string;
  /** When the reading was taken (ISO 8601). */
  at: string;
  /** The measured number, when the check measures one (error rate %, latency ms, errors, seconds). */
  value?: number;
  /** Readings taken before this verdict (set by the workflow). */
  readings?: number;
}

export type Verdict = 'healthy' | 'unhealthy' | 'not-verified';

/** One run of the verification suite: the verdict, one line for people, and every check's result. */
export interface VerificationReport {
  verdict: Verdict;
  /** One line for people: "healthy: 3 of 3 checks passed". */
  message: string;
  results: CheckResult[];
}

/**
 * Healthy only when every check passed; unhealthy when any check failed on a reading; otherwise
 * (some source unreadable, or no checks at all) not verified.
 */
export function verdictOf(results: readonly Pick<CheckResult, 'status'>[]): Verdict {
  if (results.some((r) => r.status === 'failed')) return 'unhealthy';
  if (results.length === 0 || results.some((r) => r.status !== 'passed')) return 'not-verified';
  return 'healthy';
}

export function reading(
  base: Pick<CheckResult, 'check' | 'target' | 'expected'>,
  status: CheckStatus,
  observed: string,
  at: string,
  extra: { detail?: string; value?: number } = {},
): CheckResult {
  return {
    ...base,
    status,
    passed: status === 'passed',
    observed,
    at,
    ...(extra.detail ? { detail: extra.detail } : {}),
    ...(extra.value !== undefined ? { value: extra.value } : {}),
  };
}

/** Nearest-rank percentile of `samples` (p in 0..100); undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * The value of a Prometheus `/api/v1/query` answer: an instant vector with exactly one sample,
 * or a scalar. Anything else (an error status, an empty vector, several series, NaN) is
 * unreadable, with the reason.
 */
export function prometheusValue(body: unknown): { value: number } | { unreadable: string } {
  const b = body as {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  } | null;
  if (!b || typeof b !== 'object') return { unreadable: 'the answer is not JSON' };
  if (b.status !== 'success') return { unreadable: `Prometheus answered ${b.errorType ?? 'error'}: ${b.error ?? '?'}` };
  const type = b.data?.resultType;
  let raw: unknown;
  if (type === 'scalar') {
    raw = (b.data?.result as unknown[] | undefined)?.[1];
  } else if (type === 'vector') {
    const series = (b.data?.result ?? []) as { metric?: Record<string, string>; value?: unknown[] }[];
    if (series.length === 0) return { unreadable: 'the query returned no series (empty vector)' };
    if (series.length > 1) {
      return { unreadable: `the query returned ${series.length} series; aggregate it to one (e.g. sum(...))` };
    }
    raw = series[0]!.value?.[1];
  } else {
    return { unreadable: `the query returned a ${type ?? 'missing'} result, not an instant vector or scalar` };
  }
  const value = typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) return { unreadable: `the sample is ${String(raw)}, not a number` };
  return { value };
}

/** Latency judged against a maximum, or against a baseline plus an allowed increase. */
export function latencyLimit(spec: { maxMs?: number; baselineMs?: number; maxIncreasePct: number }): {
  limitMs: number;
  expected: string;
} {
  const fromBaseline =
    spec.baselineMs !== undefined ? spec.baselineMs * (1 + spec.maxIncreasePct / 100) : Number.POSITIVE_INFINITY;
  const limitMs = Math.min(spec.maxMs ?? Number.POSITIVE_INFINITY, fromBaseline);
  const parts = [
    spec.maxMs !== undefined ? `${spec.maxMs} ms` : undefined,
    spec.baselineMs !== undefined ? `baseline ${spec.baselineMs} ms + ${spec.maxIncreasePct}%` : undefined,
  ].filter(Boolean);
  return { limitMs, expected: `<= ${Math.round(limitMs * 100) / 100} ms (${parts.join(', ')})` };
}

/** Error lines as the runbook counts them: `grep -i PATTERN | wc -l` (a literal, case-insensitive). */
export function countMatchingLines(text: string, pattern: string): number {
  const needle = pattern.toLowerCase();
  return text.split('\n').filter((line) => line.length > 0 && line.toLowerCase().includes(needle)).length;
}

/** Set equality of DNS values, ignoring case, order and a trailing dot. */
export function sameRecordValues(a: readonly string[], b: readonly string[]): boolean {
  const norm = (v: string) => v.trim().toLowerCase().replace(/\.$/, '');
  const x = [...new Set(a.map(norm))].sort();
  const y = [...new Set(b.map(norm))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
