import {
  DEFAULT_THRESHOLDS,
  classifyExplicit,
  classifyWorst,
  classifySignals,
  deadlineAt,
  isMoreSevere,
} from '../../src/domain/decisionMatrix.js';

const MIN = 60_000;

describe('decision matrix rows (runbook defaults)', () => {
  test.each([
    // [signals, severity, action, deadline minutes]
    [{ outage: true }, 'P0', 'immediate-rollback', 5],
    [{ outage: true, errorRatePct: 0.1 }, 'P0', 'immediate-rollback', 5],
    [{ errorRatePct: 12 }, 'P1', 'rollback-after-confirmation', 15],
    [{ latencyDegradationPct: 80 }, 'P1', 'rollback-after-investigation', 30],
    [{ errorRatePct: 0.4 }, 'P2', 'monitor', 120],
    [{}, 'P3', 'fix-forward', null],
    [{ errorRatePct: 0, latencyDegradationPct: 0 }, 'P3', 'fix-forward', null],
  ] as const)('%j is %s / %s with a %s-minute deadline', (signals, severity, action, minutes) => {
    const c = classifySignals(signals);
    expect(c.severity).toBe(severity);
    expect(c.action).toBe(action);
    expect(c.deadlineMs).toBe(minutes === null ? null : minutes * MIN);
  });

  test('errors above 5% win over latency degradation (confirmation, the shorter deadline)', () => {
    const c = classifySignals({ errorRatePct: 6, latencyDegradationPct: 90 });
    expect([c.severity, c.action, c.deadlineMs]).toEqual(['P1', 'rollback-after-confirmation', 15 * MIN]);
  });
});

describe('decision matrix boundaries', () => {
  test('exactly 5% errors is not "> 5%": it falls in the 1-5% gap, P2 by default', () => {
    expect(classifySignals({ errorRatePct: 5 }).severity).toBe('P2');
    expect(classifySignals({ errorRatePct: 5.0001 }).severity).toBe('P1');
  });

  test('exactly 1% errors is not "< 1%" but the gap, still P2 with the gap rule named', () => {
    const c = classifySignals({ errorRatePct: 1 });
    expect(c.severity).toBe('P2');
    expect(c.rule).toContain('runbook gap');
    expect(classifySignals({ errorRatePct: 0.999 }).rule).toContain('< 1%');
  });

  test('the 1-5% gap can be configured to P1 (confirmation)', () => {
    const c = classifySignals({ errorRatePct: 3 }, { ...DEFAULT_THRESHOLDS, errorGapSeverity: 'P1' });
    expect([c.severity, c.action]).toEqual(['P1', 'rollback-after-confirmation']);
  });

  test('exactly 50% latency degradation is not "> 50%": monitored as P2', () => {
    expect(classifySignals({ latencyDegradationPct: 50 }).severity).toBe('P2');
    expect(classifySignals({ latencyDegradationPct: 50.1 }).action).toBe('rollback-after-investigation');
  });

  test('thresholds are configurable', () => {
    const strict = { ...DEFAULT_THRESHOLDS, majorErrorRatePct: 2, latencyDegradationPct: 20 };
    expect(classifySignals({ errorRatePct: 3 }, strict).severity).toBe('P1');
    expect(classifySignals({ latencyDegradationPct: 25 }, strict).action).toBe('rollback-after-investigation');
  });
});

describe('explicit severity', () => {
  test.each([
    ['P0', 'immediate-rollback', 5],
    ['P1', 'rollback-after-confirmation', 15],
    ['P2', 'monitor', 120],
    ['P3', 'fix-forward', null],
  ] as const)('%s means %s', (severity, action, minutes) => {
    const c = classifyExplicit(severity);
    expect(c.action).toBe(action);
    expect(c.deadlineMs).toBe(minutes === null ? null : minutes * MIN);
  });

  test('an explicit P1 with only latency signals is investigated, with the 30-minute deadline', () => {
    const c = classifyExplicit('P1', { latencyDegradationPct: 70 });
    expect([c.action, c.deadlineMs]).toEqual(['rollback-after-investigation', 30 * MIN]);
  });
});

test('severity order and absolute deadlines', () => {
  expect(isMoreSevere('P0', 'P1')).toBe(true);
  expect(isMoreSevere('P2', 'P1')).toBe(false);
  expect(isMoreSevere('P1', 'P1')).toBe(false);
  expect(deadlineAt(1_000, classifySignals({ outage: true }))).toBe(1_000 + 5 * MIN);
  expect(deadlineAt(1_000, classifySignals({}))).toBeNull();
});

describe('an explicit severity never hides worse signals (defect 7)', () => {
  test('P3 given with an observed outage is P0, with the rule saying so', () => {
    const c = classifyWorst('P3', { outage: true });
    expect(c).toMatchObject({ severity: 'P0', action: 'immediate-rollback' });
    expect(c.rule).toBe('complete outage (worse than the given P3)');
  });
  test('P2 given with 12% errors is P1; P0 given with mild signals stays P0', () => {
    expect(classifyWorst('P2', { errorRatePct: 12 }).severity).toBe('P1');
    expect(classifyWorst('P0', { errorRatePct: 0.1 }).severity).toBe('P0');
    expect(classifyWorst(undefined, { errorRatePct: 0.1 }).severity).toBe('P2');
  });
  test('a 100% error reading is a complete outage, P0 (defect 3)', () => {
    expect(classifySignals({ errorRatePct: 100 })).toMatchObject({ severity: 'P0', action: 'immediate-rollback' });
  });
});
