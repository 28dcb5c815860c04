// rollbackctl's text: the incident status, the one-line progress of watch (an RDS restore's
// progress line as npm run restore:watch prints it), the list query and table.
import { listQuery } from '../../src/cli/commands.js';
import {
  isProcedureStatus,
  renderIncidentStatus,
  renderStatus,
  renderTable,
  statusLine,
  timeLeft,
} from '../../src/cli/render.js';
import type { RestoreStatus } from '../../src/domain/restoreProgress.js';
import type { IncidentStatus } from '../../src/workflows/incident/types.js';

const now = Date.parse('2026-11-28T04:00:00Z');

function incident(extra: Partial<IncidentStatus> = {}): IncidentStatus {
  return {
    incidentId: 'rollback-production-checkout-api',
    service: 'checkout-api',
    environment: 'production',
    phase: 'awaiting-confirmation',
    severity: 'P1',
    action: 'rollback-after-confirmation',
    rule: 'error rate >= 5%',
    detectedAt: '2026-11-28T03:50:00Z',
    deadline: '2026-11-28T04:05:30Z',
    timeLeftMs: 330_000,
    asOf: '2026-11-28T04:00:00Z',
    slaWarned: false,
    slaBreached: false,
    currentStep: 'waiting for confirm or reject',
    alerts: 2,
    procedures: [
      {
        type: 'lambdaAliasRollback',
        workflowId: 'rollback-production-checkout-api-lambda-1',
        target: 'checkout-api:production',
        status: 'pending',
      },
    ],
    ...extra,
  } as IncidentStatus;
}

test('an incident status shows phase, severity, time left, step and procedures with their plans', () => {
  const plan = { from: '3', to: '2' };
  const text = renderIncidentStatus(
    incident({ procedures: [{ ...incident().procedures[0]!, ...{ plan } }] as IncidentStatus['procedures'] }),
    now,
  );
  expect(text).toMatch(/^phase:\s+awaiting-confirmation$/m);
  expect(text).toMatch(/^deadline:\s+2026-11-28T04:05:30Z \(5m30s left\)$/m);
  expect(text).toMatch(/^current step: waiting for confirm or reject$/m);
  expect(text).toMatch(/lambdaAliasRollback checkout-api:production: pending/);
  expect(text).toMatch(/plan: \{"from":"3","to":"2"\}/);
  expect(timeLeft(incident({ deadline: '2026-11-28T03:59:00Z' }), now)).toBe('overdue by 1m00s');
  // A closed incident has no time left.
  expect(statusLine(incident({ phase: 'rolled-back', currentStep: 'done' }), now)).toBe('[rolled-back] P1: done');
});

test('a waiting RDS restore is one progress line, as restore:watch prints it', () => {
  const restore: RestoreStatus = {
    workflowType: 'rdsSnapshotRestore',
    phase: 'waiting',
    step: 'waiting for the instance',
    instance: { instanceId: 'orders-restored', status: 'creating', elapsedSeconds: 245, polls: 12 },
    maxWaitSeconds: 10_800,
    run: 1,
  };
  expect(statusLine(restore)).toBe('[waiting] orders-restored  creating  4m05s elapsed  12 polls  (limit 3h00m00s)');
  expect(statusLine({ ...restore, phase: 'switching', step: 'switching DATABASE_HOST' })).toBe(
    '[switching] switching DATABASE_HOST',
  );
});

test("a closed procedure's status shows its result message and pin, or its failure", () => {
  const base = {
    workflowType: 'helmReleaseRollback',
    step: 'history',
    detail: 'helm history web -n shop',
    completed: [],
  };
  expect(isProcedureStatus(base)).toBe(true);
  expect(isProcedureStatus(incident())).toBe(false);
  const dry = {
    ...base,
    result: { message: 'dry run: would run helm rollback web 2', pin: { currentRevision: 3, toRevision: 2 } },
  };
  expect(renderStatus(dry).split('\n')).toEqual([
    'helmReleaseRollback: history (helm history web -n shop)',
    'result: dry run: would run helm rollback web 2',
    'pin:    {"currentRevision":3,"toRevision":2}',
  ]);
  expect(renderStatus({ ...base, error: 'helm: release: not found' })).toContain('\nerror:  helm: release: not found');
});

test('list filters become a visibility query on the search attributes, quoted', () => {
  expect(listQuery({ severity: 'P1', service: 'a"b', slaBreached: true, open: true, limit: 10 })).toBe(
    'WorkflowType = "incidentRollback" AND RollbackService = "a\\"b" AND RollbackSeverity = "P1" AND SlaBreached = true AND ExecutionStatus = "Running"',
  );
  expect(renderTable(['A', 'B'], [['long value', 'x']])).toBe('A           B\nlong value  x');
});
