// The incident's phase table (src/domain/incident/phases.ts): every phase change the workflow
// makes is allowed, the ones it must never make throw, and no phase is out of reach.
import {
  assertTransition,
  canTransition,
  CLOSED_PHASES,
  IllegalTransition,
  isClosed,
  isWaiting,
  PHASE_TRANSITIONS,
  WAITING_PHASES,
  type Phase,
} from '../../src/domain/incident/phases.js';

const ALL: Phase[] = ['assessing', ...WAITING_PHASES, 'rolling-back', ...CLOSED_PHASES];

/** Each phase change src/workflows/incidentRollback.ts and its helpers make, and where. */
const PERFORMED: [Phase, Phase, string][] = [
  ['assessing', 'plan-failed', 'a procedure could not be planned'],
  ['assessing', 'dry-run', 'dryRun: plans only'],
  ['assessing', 'aborted', 'abort while assessing or planning'],
  ['assessing', 'expired', 'the limit passed while planning'],
  ['assessing', 'rolling-back', 'P0: immediate rollback'],
  ['assessing', 'awaiting-confirmation', 'P1 errors, or P0 under the re-fire guard'],
  ['assessing', 'awaiting-investigation', 'P1 latency'],
  ['assessing', 'monitoring', 'P2'],
  ['assessing', 'fixed-forward', 'P3'],
  ['awaiting-confirmation', 'rolling-back', 'confirmed, or no answer with onTimeout "rollback"'],
  ['awaiting-confirmation', 'rejected', 'rejected'],
  ['awaiting-confirmation', 'aborted', 'abort, or no answer with onTimeout "abort"'],
  ['awaiting-confirmation', 'expired', 'the limit passed while waiting'],
  ['awaiting-confirmation', 'awaiting-confirmation', 'raised to P0 by an alert with approvers set'],
  ['awaiting-investigation', 'rolling-back', '"roll back", or raised to P0'],
  ['awaiting-investigation', 'investigated-no-rollback', '"no rollback"'],
  ['awaiting-investigation', 'awaiting-confirmation', '"roll back" under the re-fire guard'],
  ['awaiting-investigation', 'aborted', 'abort, or no answer with onTimeout "abort"'],
  ['awaiting-investigation', 'expired', 'the limit passed while waiting'],
  ['monitoring', 'awaiting-confirmation', 'errors above 5%: P1'],
  ['monitoring', 'awaiting-investigation', 'latency above its threshold: P1'],
  ['monitoring', 'rolling-back', 'a complete outage: P0'],
  ['monitoring', 'monitored-no-rollback', '2 hours quiet, or the alert resolved'],
  ['monitoring', 'aborted', 'abort while monitoring'],
  ['monitoring', 'expired', 'the limit passed while monitoring'],
  ['rolling-back', 'rolled-back', 'verified healthy'],
  ['rolling-back', 'rolled-back-unhealthy', 'readings still bad'],
  ['rolling-back', 'rolled-back-unverified', 'nothing readable'],
  ['rolling-back', 'rollback-failed', 'a procedure failed'],
];

test.each(PERFORMED)('the workflow may go from %s to %s (%s)', (from, to) => {
  expect(() => assertTransition(from, to)).not.toThrow();
});

test('the table allows exactly the phase changes the workflow makes, nothing more', () => {
  const allowed = ALL.flatMap((from) => PHASE_TRANSITIONS[from].map((to) => `${from} -> ${to}`)).sort();
  expect(allowed).toEqual(PERFORMED.map(([from, to]) => `${from} -> ${to}`).sort());
});

test.each<[Phase, Phase]>([
  ['rolling-back', 'aborted'],
  ['rolling-back', 'awaiting-confirmation'],
  ['rolled-back', 'rolling-back'],
  ['aborted', 'aborted'],
  ['awaiting-confirmation', 'monitoring'],
  ['awaiting-confirmation', 'investigated-no-rollback'],
  ['assessing', 'rejected'],
  ['assessing', 'rolled-back'],
  ['monitoring', 'monitoring'],
])('%s -> %s throws IllegalTransition naming both phases', (from, to) => {
  expect(() => assertTransition(from, to)).toThrow(IllegalTransition);
  expect(() => assertTransition(from, to)).toThrow(`illegal phase transition ${from} -> ${to}`);
});

test('the error says what is allowed instead, or that the phase is closed', () => {
  expect(() => assertTransition('rolling-back', 'aborted')).toThrow(
    'illegal phase transition rolling-back -> aborted (from rolling-back: rolled-back, rolled-back-unhealthy, rolled-back-unverified, rollback-failed)',
  );
  expect(() => assertTransition('rejected', 'rolling-back')).toThrow(
    'illegal phase transition rejected -> rolling-back (from rejected: none, rejected is closed)',
  );
});

test('every phase is reachable from assessing, and every open phase can still close', () => {
  const reached = new Set<Phase>(['assessing']);
  for (let grew = true; grew;) {
    grew = false;
    for (const from of reached) {
      for (const to of PHASE_TRANSITIONS[from]) {
        if (!reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
  }
  expect([...reached].sort()).toEqual([...ALL].sort());
  expect(Object.keys(PHASE_TRANSITIONS).sort()).toEqual([...ALL].sort());

  for (const phase of ALL.filter((p) => !isClosed(p))) {
    expect({ phase, closes: PHASE_TRANSITIONS[phase].some(isClosed) }).toEqual({ phase, closes: true });
  }
});

test('closed phases are final', () => {
  for (const phase of CLOSED_PHASES) expect({ phase, next: PHASE_TRANSITIONS[phase] }).toEqual({ phase, next: [] });
});

test('abort is possible exactly while assessing or waiting (never once the rollback runs)', () => {
  for (const phase of ALL) {
    expect({ phase, abortable: canTransition(phase, 'aborted') }).toEqual({
      phase,
      abortable: phase === 'assessing' || isWaiting(phase),
    });
  }
});
