// The Web UI's texts for a run: static summaries from an input, current details from a status
// snapshot, and the one-line summaries of timers, activities and children.
import {
  aliasUpdateSummary,
  applyChildSummary,
  confirmationTimeoutSummary,
  formatDuration,
  incidentCurrentDetails,
  incidentStaticSummary,
  procedureStaticSummary,
  rolloutUndoSummary,
  slaBreachTimerSummary,
  slaWarningTimerSummary,
  type DetailsSnapshot,
} from '../../src/domain/incident/summaries.js';
import { incidentRollbackInput } from '../../src/domain/schemas/incidentRollback.js';
import { DEMO_K8S_INCIDENT } from '../../tools/local/kubernetesDemo.js';
import { demoIncidentInput } from '../../tools/local/demo.js';

describe('incidentStaticSummary', () => {
  test.each([
    [{ errorRatePct: 12 }, 'P1 checkout-api production: errors 12% > 5%'],
    [{ outage: true }, 'P0 checkout-api production: complete outage'],
    [{ latencyDegradationPct: 80 }, 'P1 checkout-api production: latency degradation 80% > 50%'],
    [{ errorRatePct: 0.4 }, 'P2 checkout-api production: errors 0.4% < 1%'],
    [{ severity: 'P1' }, 'P1 checkout-api production: severity P1 given'],
    // The given severity is worse than the signals: the summary says it was given.
    [{ severity: 'P0', errorRatePct: 12 }, 'P0 checkout-api production: severity P0 given'],
    // The signals agree with the given severity: the alert's own terms.
    [{ severity: 'P1', errorRatePct: 12 }, 'P1 checkout-api production: errors 12% > 5%'],
  ] as const)('%j reads "%s"', (signals, expected) => {
    expect(incidentStaticSummary({ service: 'checkout-api', environment: 'production', ...signals })).toBe(expected);
  });

  test('quotes the thresholds the input sets', () => {
    const summary = incidentStaticSummary({
      service: 'web',
      environment: 'demo',
      errorRatePct: 3,
      thresholds: { majorErrorRatePct: 2 },
    });
    expect(summary).toBe('P1 web demo: errors 3% > 2%');
  });

  test("the demo's P1 and P0 incidents read as the issue asks", () => {
    expect(incidentStaticSummary(incidentRollbackInput.parse(demoIncidentInput()))).toBe(
      'P1 checkout-api production: errors 12% > 5%',
    );
    expect(incidentStaticSummary(incidentRollbackInput.parse(DEMO_K8S_INCIDENT.input))).toBe(
      'P0 web demo: complete outage',
    );
  });
});

test('a procedure started on its own is summarised by its target, a dry run says so', () => {
  const lambda = { type: 'lambdaAliasRollback' as const, input: { functionName: 'checkout-api' } };
  expect(procedureStaticSummary(lambda)).toBe('lambdaAliasRollback checkout-api:production');
  expect(procedureStaticSummary({ ...lambda, input: { ...lambda.input, dryRun: true } })).toBe(
    'dry run: lambdaAliasRollback checkout-api:production',
  );
});

test('timers, activities and children carry what they are for, with the numbers that matter', () => {
  expect(slaWarningTimerSummary('P1')).toBe('SLA warning at 80% of the P1 deadline');
  expect(slaBreachTimerSummary('P0')).toBe('SLA breach at the P0 deadline');
  expect(confirmationTimeoutSummary(5, 'escalate')).toBe('confirmation timeout: 5 min, then escalate');
  expect(rolloutUndoSummary({ namespace: 'demo', deployment: 'web' }, 3, 2)).toBe('rollout undo demo/web 3 -> 2');
  expect(aliasUpdateSummary({ functionName: 'checkout-api', alias: 'production' }, '3', '2')).toBe(
    'update alias checkout-api:production 3 -> 2',
  );
  expect(applyChildSummary('lambdaAliasRollback checkout-api:production', { from: 'version 3', to: 'version 2' })).toBe(
    'apply lambdaAliasRollback checkout-api:production: version 3 -> version 2',
  );
  expect(applyChildSummary('lambdaAliasRollback checkout-api:production', undefined)).toBe(
    'apply lambdaAliasRollback checkout-api:production',
  );
});

describe('incidentCurrentDetails', () => {
  const waiting: DetailsSnapshot = {
    service: 'checkout-api',
    environment: 'production',
    phase: 'awaiting-confirmation',
    severity: 'P1',
    rule: 'errors 12% > 5%',
    deadline: '2026-11-20T10:15:00.000Z',
    timeLeftMs: 14 * 60_000 + 5_000,
    asOf: '2026-11-20T10:00:55.000Z',
    slaWarned: false,
    slaBreached: false,
    currentStep: 'waiting for confirm or reject (no answer in 5 min: escalate)',
    incidentCommander: 'on-call',
    procedures: [
      {
        target: 'lambdaAliasRollback checkout-api:production',
        status: 'planned',
        plan: { from: 'version 3', to: 'version 2' },
      },
    ],
    expiresAt: '2026-11-21T10:00:00.000Z',
  };
  const people = { requestedBy: 'alertmanager', allowSelfApproval: false };

  test('a P1 waiting for confirmation shows its deadline, time left, who may confirm and the pinned plan', () => {
    expect(incidentCurrentDetails(waiting, people)).toBe(
      [
        '**P1 awaiting-confirmation** checkout-api production (errors 12% > 5%)',
        '',
        'waiting for confirm or reject (no answer in 5 min: escalate)',
        '',
        '- **Deadline** 2026-11-20T10:15:00.000Z: 14 min left (as of 10:00:55Z)',
        '- **Waiting for** `confirm` or `reject` from anyone, not alertmanager (who asked for it)',
        '- **Plan** lambdaAliasRollback checkout-api:production: version 3 -> version 2 (pinned)',
        '- **Commander** on-call',
      ].join('\n'),
    );
  });

  test('with approvers it names them; self-approval allowed drops the requester clause', () => {
    const details = incidentCurrentDetails(waiting, {
      ...people,
      approvers: ['alice', 'bob'],
      allowSelfApproval: true,
    });
    expect(details).toContain('- **Waiting for** `confirm` or `reject` from an approver (alice, bob)\n');
  });

  test('an overdue deadline says by how much and that the SLA is breached', () => {
    const details = incidentCurrentDetails({ ...waiting, timeLeftMs: -3 * 60_000, slaBreached: true }, people);
    expect(details).toContain(
      '- **Deadline** 2026-11-20T10:15:00.000Z: overdue by 3 min (as of 10:00:55Z, SLA breached)',
    );
  });

  test("a procedure's own wait for a destructive step is what the incident waits for", () => {
    const details = incidentCurrentDetails(
      {
        ...waiting,
        phase: 'rolling-back',
        procedures: [
          {
            target: 'kubernetesDeploymentRollback demo/web',
            status: 'running',
            plan: { from: 'revision 3', to: 'revision 2' },
            awaiting: { step: 'delete pods', since: '2026-11-20T10:01:00.000Z', timeoutSeconds: 300 },
          },
        ],
      },
      people,
    );
    expect(details).toContain(
      '- **Waiting for** `confirm` of "delete pods" (kubernetesDeploymentRollback demo/web) until 2026-11-20T10:06:00.000Z, from anyone, not alertmanager (who asked for it)',
    );
    expect(details).toContain(
      '- **Procedure running** kubernetesDeploymentRollback demo/web: revision 3 -> revision 2',
    );
  });

  test('a closed incident shows its outcome and verification, no deadline and nobody to wait for', () => {
    const details = incidentCurrentDetails(
      {
        ...waiting,
        phase: 'rolled-back',
        currentStep: 'rollback complete (healthy); follow-ups scheduled',
        procedures: [{ ...waiting.procedures[0]!, status: 'succeeded' }],
        verification: { verdict: 'healthy', detail: '3 readings in a row with errors < 1%' },
      },
      people,
    );
    expect(details).not.toContain('Deadline');
    expect(details).not.toContain('Waiting for');
    expect(details).toContain('- **Procedure succeeded** lambdaAliasRollback checkout-api:production');
    expect(details).toContain('- **Verification** healthy: 3 readings in a row with errors < 1%');
  });

  test('fix-forward has no deadline', () => {
    const details = incidentCurrentDetails(
      { ...waiting, phase: 'assessing', severity: 'P3', deadline: null, timeLeftMs: null, procedures: [] },
      people,
    );
    expect(details).toContain('- **Deadline** none (fix forward in the next deployment)');
  });
});

test.each([
  [45_000, '45 s'],
  [14 * 60_000 + 59_000, '14 min'],
  [125 * 60_000, '2 h 05 min'],
])('formatDuration(%d) is "%s"', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});
