// The runbook's decision matrix as pure code: what severity an incident has, what to do about
// it and by when. No SDK imports, so it runs in workflows and in plain unit tests alike.

export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

export type Action =
  'immediate-rollback' | 'rollback-after-confirmation' | 'rollback-after-investigation' | 'monitor' | 'fix-forward';

/** What was observed about the incident. Absent signals mean "not observed". */
export interface ObservedSignals {
  outage?: boolean;
  errorRatePct?: number;
  latencyDegradationPct?: number;
}

export interface DecisionThresholds {
  /** Errors above this percentage are P1 (runbook: "Major errors (>5%)"). */
  majorErrorRatePct: number;
  /** Errors below this percentage are P2 (runbook: "Minor errors (<1%)"). */
  minorErrorRatePct: number;
  /** Latency degradation above this percentage is P1 (runbook: "Performance degradation (>50%)"). */
  latencyDegradationPct: number;
  /** The runbook is silent on errors between minor and major; this decides them. */
  errorGapSeverity: 'P1' | 'P2';
}

export const DEFAULT_THRESHOLDS: DecisionThresholds = {
  majorErrorRatePct: 5,
  minorErrorRatePct: 1,
  latencyDegradationPct: 50,
  errorGapSeverity: 'P2',
};

const MINUTE = 60_000;

/** Deadlines counted from detection; `null` means "next deployment" (no timer). */
export const DEADLINE_MS: Record<Action, number | null> = {
  'immediate-rollback': 5 * MINUTE,
  'rollback-after-confirmation': 15 * MINUTE,
  'rollback-after-investigation': 30 * MINUTE,
  monitor: 120 * MINUTE,
  'fix-forward': null,
};

export interface Classification {
  severity: Severity;
  action: Action;
  /** Milliseconds from detection until the rollback must be done, or null for fix-forward. */
  deadlineMs: number | null;
  /** Which row of the matrix applied, in words an on-call engineer recognises. */
  rule: string;
}

function decided(severity: Severity, action: Action, rule: string): Classification {
  return { severity, action, deadlineMs: DEADLINE_MS[action], rule };
}

/** Classifies from observed signals, following the runbook's rows from most to least severe. */
export function classifySignals(
  signals: ObservedSignals,
  thresholds: DecisionThresholds = DEFAULT_THRESHOLDS,
): Classification {
  const errors = signals.errorRatePct ?? 0;
  const latency = signals.latencyDegradationPct ?? 0;
  if (signals.outage) return decided('P0', 'immediate-rollback', 'complete outage');
  // Every request failing is a complete outage, whatever reported it.
  if (errors >= 100) return decided('P0', 'immediate-rollback', `errors ${errors}%: complete outage`);
  if (errors > thresholds.majorErrorRatePct) {
    return decided('P1', 'rollback-after-confirmation', `errors ${errors}% > ${thresholds.majorErrorRatePct}%`);
  }
  if (latency > thresholds.latencyDegradationPct) {
    return decided(
      'P1',
      'rollback-after-investigation',
      `latency degradation ${latency}% > ${thresholds.latencyDegradationPct}%`,
    );
  }
  if (errors >= thresholds.minorErrorRatePct) {
    const rule = `errors ${errors}% between ${thresholds.minorErrorRatePct}% and ${thresholds.majorErrorRatePct}% (runbook gap)`;
    return thresholds.errorGapSeverity === 'P1'
      ? decided('P1', 'rollback-after-confirmation', rule)
      : decided('P2', 'monitor', rule);
  }
  if (errors > 0) return decided('P2', 'monitor', `errors ${errors}% < ${thresholds.minorErrorRatePct}%`);
  if (latency > 0) {
    return decided('P2', 'monitor', `latency degradation ${latency}% <= ${thresholds.latencyDegradationPct}%`);
  }
  return decided('P3', 'fix-forward', 'no errors, outage or latency impact (cosmetic)');
}

/**
 * Classifies an incident with an explicit severity, using the signals only to pick between
 * the two P1 rows (latency-only P1 incidents are investigated, others confirmed).
 */
export function classifyExplicit(
  severity: Severity,
  signals: ObservedSignals = {},
  thresholds: DecisionThresholds = DEFAULT_THRESHOLDS,
): Classification {
  switch (severity) {
    case 'P0':
      return decided('P0', 'immediate-rollback', 'severity P0 given');
    case 'P1': {
      const fromSignals = classifySignals(signals, thresholds);
      const action =
        fromSignals.action === 'rollback-after-investigation'
          ? 'rollback-after-investigation'
          : 'rollback-after-confirmation';
      return decided('P1', action, 'severity P1 given');
    }
    case 'P2':
      return decided('P2', 'monitor', 'severity P2 given');
    case 'P3':
      return decided('P3', 'fix-forward', 'severity P3 given');
  }
}

const RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** True when `a` is more severe than `b` (P0 is the most severe). */
export function isMoreSevere(a: Severity, b: Severity): boolean {
  return RANK[a] < RANK[b];
}

/** The absolute deadline (epoch ms) for a classification, or null when there is none. */
export function deadlineAt(detectedAtMs: number, classification: Classification): number | null {
  return classification.deadlineMs === null ? null : detectedAtMs + classification.deadlineMs;
}

/**
 * The worst of an explicit severity and the observed signals: a person may say an incident is
 * worse than its signals, never better (`severity: "P3", outage: true` is a P0).
 */
export function classifyWorst(
  severity: Severity | undefined,
  signals: ObservedSignals = {},
  thresholds: DecisionThresholds = DEFAULT_THRESHOLDS,
): Classification {
  const fromSignals = classifySignals(signals, thresholds);
  if (severity === undefined) return fromSignals;
  const explicit = classifyExplicit(severity, signals, thresholds);
  if (!isMoreSevere(fromSignals.severity, explicit.severity)) return explicit;
  return { ...fromSignals, rule: `${fromSignals.rule} (worse than the given ${severity})` };
}
