// The incident never makes things worse, with stubbed activities on the time-skipping server: the
// re-fire guard, a target moved after the plan, a plan that fails, a channel that keeps failing,
// verdicts decided from readings and from the verification suite, P2 monitoring that sees an
// outage, and waits that keep paging. Each asserts what the incident decided and which calls it
// made. Moved here from test/workflows/incidentGuards.test.ts and incidentVerification.test.ts
// with the same assertions: the alias in moto becomes the recorded `updateLambdaAlias` calls, the
// receiver's webhooks the recorded `sendNotification` calls, the health URL and each check's
// observed value the stubbed readings. The integrations stay proven on real systems: the Lambda
// mark, guard and pin by test/workflows/lambdaAliasRollback.test.ts and test/activities/lambda.test.ts;
// deliveries, retries and health probes by test/activities/notifyAndProbe.test.ts; the checks'
// providers by test/activities/checks.test.ts and the verifyRollback child with real activities by
// test/workflows/verifyRollback.test.ts; a whole real incident (with health readings, and no
// webhook URL in its history) by test/workflows/incidentRollback.test.ts.
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { abortSignal, confirmUpdate, investigationResultSignal } from '../../../src/workflows/incident/messages.js';
import type { IncidentResult } from '../../../src/workflows/incident/types.js';
import { entries, healthMonitoring, p1Input, status, waitForPhase } from '../../support/incidentQueries.js';
import { waitFor } from '../../support/ports.js';
import { checkReading, useStubbedIncidentHarness, type StubbedIncidentHarness } from '../../support/stubbedIncident.js';

let h: StubbedIncidentHarness;
useStubbedIncidentHarness((started) => (h = started));

const MIN = 60_000;

const moves = (fn: string) =>
  h
    .called('updateLambdaAlias')
    .filter((r) => r.functionName === fn)
    .map((r) => `${r.fromVersion}->${r.toVersion}`);
const input = (fn: string, extra: Record<string, unknown> = {}) => p1Input('', fn, extra);
const healthUrl = (fn: string) => `http://${fn}.stub`;
const pages = (fn: string, kind: 'escalation' | 'rollback-failed' | 'sla-breach') => h.notified('escalation', fn, kind);
const complete = (fn: string) => h.notified('slack', fn, 'rollback-complete')[0]!.text;

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

describe('plan, pin, apply', () => {
  test('the same P0 incident started again after its rollback asks a person and pages, changing nothing', async () => {
    const { name: fn } = h.lambdaFunction();
    const p0 = input(fn, { errorRatePct: undefined, outage: true, refireWindowMinutes: 180 });
    const first = await h.start(p0, `refire-${fn}`);
    // Read without letting the server skip time: with nothing left running, it would jump years
    // ahead (the real test has the follow-ups' 1-hour timer to stop at), past any re-fire window.
    expect(await h.resultInRealTime(first)).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);

    const again = await h.start({ ...p0, confirmation: { onTimeout: 'rollback' } }, `refire-${fn}`);
    const waiting = await waitForPhase(again, 'awaiting-confirmation');
    expect(waiting.severity).toBe('P0');
    expect(waiting.refire).toMatch(
      new RegExp(`^lambdaAliasRollback ${fn}:production was rolled back at .+ \\(from version 3.*\\), still failing$`),
    );
    expect(waiting.procedures[0]!.plan).toMatchObject({ from: 'version 2', to: 'version 1' });
    expect(pages(fn, 'escalation').filter((n) => n.text.includes('still failing'))).toHaveLength(1);
    const request = h.notified('slack', fn, 'confirmation-request').at(-1)!.text;
    expect(request).toContain(`- lambdaAliasRollback ${fn}:production: version 2 -> version 1`);
    expect(request).toContain('Already rolled back:');

    // Even the "rollback" no-answer policy does not act on a re-fired alert.
    await h.env.sleep(7.5 * MIN);
    expect((await status(again)).phase).toBe('awaiting-confirmation');
    await again.signal(abortSignal, { by: 'ic-alice', reason: 'investigating release 2 instead' });
    expect(await again.result()).toMatchObject({ outcome: 'aborted' });
    expect(moves(fn)).toEqual(['3->2']);
  });

  test('the P1 confirmation request and status carry the plan; the apply moves exactly the planned versions', async () => {
    const { name: fn } = h.lambdaFunction();
    const handle = await h.start(input(fn, { confirmation: { onTimeout: 'rollback' } }));
    const waiting = await waitForPhase(handle, 'awaiting-confirmation');
    expect(waiting.procedures[0]).toMatchObject({
      status: 'planned',
      plan: { from: 'version 3', to: 'version 2', pin: { fromVersion: '3', toVersion: '2' } },
    });
    expect(waiting.refire).toBeUndefined();
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back' });
    expect((result.procedures[0]!.result as { to?: string } | undefined)?.to).toBe('version 2');
    // The apply child was given the plan's pin, and moved exactly that (was: the alias in moto).
    expect(h.called('updateLambdaAlias', `${handle.workflowId}-1-lambdaAliasRollback`)).toEqual([
      { functionName: fn, alias: 'production', fromVersion: '3', toVersion: '2' },
    ]);
  });

  test('a target moved by hand after the plan fails the apply with TargetChanged, pages, and moves nothing', async () => {
    const f = h.lambdaFunction();
    const handle = await h.start(input(f.name));
    await waitForPhase(handle, 'awaiting-confirmation');
    f.version = '1'; // someone deploys version 1 by hand while the approver reads the plan (3 -> 2)
    await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
    const cause = await failure(handle.result());
    expect(cause.type).toBe('TargetChanged');
    expect(cause.message).toContain(`lambdaAliasRollback ${f.name}:production changed since it was planned`);
    expect(moves(f.name)).toEqual([]);
    expect((await status(handle)).phase).toBe('rollback-failed');
    expect(pages(f.name, 'rollback-failed')).toHaveLength(1);
  });

  test('a procedure that cannot be planned fails the incident with its reason, changes nothing and pages', async () => {
    const handle = await h.start(
      input('no-such-function', { errorRatePct: undefined, outage: true }),
      'fast-incident-failing-procedure',
    );
    const cause = await failure(handle.result());
    expect(cause.type).toBe('PlanFailed');
    expect(cause.message).toContain(
      'no rollback: lambdaAliasRollback no-such-function:production (workflow fast-incident-failing-procedure-1-lambdaAliasRollback-plan) could not be planned',
    );
    expect(cause.message).toContain('"no-such-function"');
    expect((await status(handle)).phase).toBe('plan-failed');
    expect(await entries(handle, 'procedure-started')).toHaveLength(0);
    expect(h.called('updateLambdaAlias').filter((r) => r.functionName === 'no-such-function')).toEqual([]);
    expect(pages('no-such-function', 'rollback-failed')).toHaveLength(1);
  });

  test('a notification channel that keeps failing is recorded and never fails the rollback', async () => {
    const { name: fn } = h.lambdaFunction();
    h.failChannel('broken');
    const p0 = input(fn, { errorRatePct: undefined, outage: true });
    p0.notify.channels.push({ channel: 'broken' });
    const handle = await h.start(p0);
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(moves(fn)).toEqual(['3->2']);
    const failed = await entries(handle, 'notification-failed');
    expect(failed.map((e) => e.message)).toContain(
      `rollback-in-progress to channel "broken" failed: notify: webhook channel "broken" answered HTTP 500 ({"ok":true})`,
    );
    expect(h.notified('broken', fn).length).toBeGreaterThanOrEqual(5);
  });
});

describe('"restored" is decided from readings', () => {
  test('errors still at 60% after the rollback close "rolled-back-unhealthy", page, and say what was measured', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setErrorRate(`${healthUrl(fn)}/health`, 60);
    const handle = await h.start(
      input(fn, { errorRatePct: undefined, outage: true, monitoring: healthMonitoring(healthUrl(fn)) }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { verdict: 'unhealthy' } });
    expect(moves(fn)).toEqual(['3->2']);
    expect(complete(fn)).toContain(
      '**Status:** Rolled back, service still unhealthy: not 3 readings in a row with errors < 1%',
    );
    expect(complete(fn)).toContain('- Health checks: ❌ Failing');
    expect(complete(fn)).toContain('- Error rate: 60%');
    expect(pages(fn, 'escalation').some((n) => n.text.includes('rolled back, but unhealthy'))).toBe(true);
    const checklist = await entries(handle, 'checklist');
    expect(checklist.some((e) => e.message.includes('Health checks passed'))).toBe(false);
  });

  test('an unreadable health source is "not verified", never passing, and pages', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setErrorRate(`${healthUrl(fn)}/health`, 'unreadable');
    const handle = await h.start(
      input(fn, { errorRatePct: undefined, outage: true, monitoring: healthMonitoring(healthUrl(fn)) }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unverified', verification: { verdict: 'unverified' } });
    expect(complete(fn)).toContain('**Status:** Rolled back, not verified: no reading could be taken in 10 minutes');
    expect(complete(fn)).not.toContain('Passing');
    expect(pages(fn, 'escalation').some((n) => n.text.includes('rolled back, but unverified'))).toBe(true);
  });

  test('three readings in a row below 1% close "rolled-back" with the readings named', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setErrorRate(`${healthUrl(fn)}/health`, 0.2);
    const handle = await h.start(
      input(fn, { errorRatePct: undefined, outage: true, monitoring: healthMonitoring(healthUrl(fn)) }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', verification: { verdict: 'healthy' } });
    expect(result.verification!.detail).toBe('3 readings in a row with errors < 1%: 0.2%, 0.2%, 0.2%');
    expect(h.called('probeErrorRate', handle.workflowId)).toHaveLength(3);
  });

  test('a latency incident still slow after its rollback closes "rolled-back-unhealthy" and says the latency', async () => {
    const { name: fn } = h.lambdaFunction();
    const url = `${healthUrl(fn)}/health`;
    h.setErrorRate(url, 0);
    h.setLatency(url, 900);
    const handle = await h.start(
      input(fn, {
        errorRatePct: undefined,
        latencyDegradationPct: 80,
        monitoring: { errorRate: { type: 'healthUrl', url }, latency: { type: 'healthUrl', url, thresholdMs: 300 } },
      }),
    );
    await waitForPhase(handle, 'awaiting-investigation');
    await handle.signal(investigationResultSignal, { rollback: true, by: 'erin' });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { latencyMs: 900 } });
    expect(complete(fn)).toContain('- Latency: 900 ms');
    expect(complete(fn)).toContain('latency < 300 ms');
  });
});

describe('P2 monitoring', () => {
  test('escalates to the P1 investigation when the latency doubles', async () => {
    const { name: fn } = h.lambdaFunction();
    const url = `${healthUrl(fn)}/health`;
    h.setErrorRate(url, 0);
    h.setLatency(url, 320);
    const handle = await h.start(
      input(fn, {
        errorRatePct: undefined,
        latencyDegradationPct: 10,
        monitoring: { errorRate: { type: 'healthUrl', url }, latency: { type: 'healthUrl', url, thresholdMs: 300 } },
      }),
    );
    await waitForPhase(handle, 'monitoring');
    h.setLatency(url, 700);
    await h.env.sleep(7.5 * MIN);
    const escalated = await waitForPhase(handle, 'awaiting-investigation');
    expect(escalated).toMatchObject({ severity: 'P1', action: 'rollback-after-investigation' });
    expect((await entries(handle, 'severity-changed'))[0]!.message).toContain('latency 700 ms, 133.33% over 300 ms');
    await handle.signal(abortSignal, { by: 'ic-alice' });
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
    expect(moves(fn)).toEqual([]);
  });

  test('a health URL that stops answering 3 times in a row is a complete outage: P0, rolled back', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setErrorRate(`${healthUrl(fn)}/health`, 'down');
    const handle = await h.start(input(fn, { errorRatePct: 0.4, monitoring: healthMonitoring(healthUrl(fn), 5) }));
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back-unverified' });
    expect(moves(fn)).toEqual(['3->2']);
    const [change] = await entries(handle, 'severity-changed');
    expect(change!.message).toContain('P2 -> P0');
    expect(change!.message).toContain('3 failed probes in a row');
  });

  test('a 100% error reading is a complete outage (P0), not P1', async () => {
    const { name: fn } = h.lambdaFunction();
    const url = `${healthUrl(fn)}/health`;
    h.setErrorRate(url, 0.3);
    const handle = await h.start(input(fn, { errorRatePct: 0.3, monitoring: healthMonitoring(healthUrl(fn), 5) }));
    await waitForPhase(handle, 'monitoring');
    h.setErrorRate(url, 100);
    await h.env.sleep(7.5 * MIN);
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back-unhealthy' });
    expect((await entries(handle, 'severity-changed'))[0]!.message).toContain('P2 -> P0');
    expect(moves(fn)).toEqual(['3->2']);
  });
});

test('an unanswered investigation escalates at its timeout and is paged again every 5 minutes', async () => {
  const { name: fn } = h.lambdaFunction();
  const handle = await h.start(input(fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
  await waitForPhase(handle, 'awaiting-investigation');
  const unanswered = () =>
    pages(fn, 'escalation').filter((n) => n.text.includes('no investigation result within 30 minutes'));
  await h.env.sleep(32.5 * MIN);
  await waitFor('the first page', async () => unanswered().length > 0);
  expect(unanswered()).toHaveLength(1);
  await h.env.sleep(5 * MIN);
  await waitFor('the second page', async () => unanswered().length > 1);
  expect(unanswered()).toHaveLength(2);
  expect(unanswered()[1]!.text).toContain('page 2: still unanswered');
  // The SLA breach at the same deadline is paged again too.
  expect(pages(fn, 'sla-breach').length).toBeGreaterThanOrEqual(2);
  expect((await status(handle)).phase).toBe('awaiting-investigation');
  await handle.signal(abortSignal, { by: 'ic-alice', reason: 'test over' });
  expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
  expect(moves(fn)).toEqual([]);
});

describe('the verification suite after the rollback (a verifyRollback child, stubbed readings)', () => {
  test('a service still failing closes "rolled-back-unhealthy", says which check failed, and pages', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setCheckReading((spec) =>
      spec.check === 'httpHealth'
        ? checkReading(spec, 'failed', 'HTTP 503')
        : checkReading(spec, 'failed', `1 in ALARM: ${fn}-errors`),
    );
    const handle = await h.start(
      input(fn, {
        errorRatePct: undefined,
        outage: true,
        verification: {
          checks: [
            { check: 'httpHealth', url: `${healthUrl(fn)}/health`, timeoutSeconds: 120, intervalSeconds: 20 },
            { check: 'cloudwatchAlarms', namePrefix: `${fn}-`, timeoutSeconds: 60 },
          ],
        },
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(moves(fn)).toEqual(['3->2']);
    expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { verdict: 'unhealthy' } });
    expect(result.verification!.checks).toEqual([
      expect.objectContaining({ check: 'httpHealth', status: 'failed', observed: 'HTTP 503' }),
      expect.objectContaining({ check: 'cloudwatchAlarms', status: 'failed', observed: `1 in ALARM: ${fn}-errors` }),
    ]);
    // Readings were retried within the check's limit before it failed.
    expect(result.verification!.checks![0]!.readings).toBeGreaterThan(1);
    expect(complete(fn)).toContain('**Status:** Rolled back, service still unhealthy');
    expect(complete(fn)).toContain('- Health checks: ❌ Failing');
    expect(complete(fn)).toContain('- All alarms: not confirmed yet');
    expect(pages(fn, 'escalation').some((n) => n.text.includes('rolled back, but unhealthy'))).toBe(true);
    const verification = await entries(handle, 'verification');
    expect(verification.some((e) => e.message.startsWith('httpHealth failed'))).toBe(true);
  });

  test('a service that recovers closes "rolled-back", announcing measured latency and cleared alarms', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setCheckReading((spec) =>
      spec.check === 'latency'
        ? checkReading(spec, 'passed', 'p95 12.5 ms', { value: 12.5 })
        : checkReading(spec, 'passed', spec.check === 'httpHealth' ? 'HTTP 200' : '0 in ALARM'),
    );
    const api = `${healthUrl(fn)}/api`;
    const handle = await h.start(
      input(fn, {
        errorRatePct: undefined,
        outage: true,
        verification: {
          checks: [
            { check: 'httpHealth', url: api, consecutive: 2, intervalSeconds: 5 },
            { check: 'latency', source: { type: 'requests', url: api, requests: 5 }, maxMs: 5000 },
            { check: 'cloudwatchAlarms', namePrefix: `${fn}-` },
          ],
        },
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', verification: { verdict: 'healthy' } });
    expect(result.verification!.latencyMs).toBe(12.5);
    expect(complete(fn)).toContain('**Status:** Services restored');
    expect(complete(fn)).toContain('- Health checks: ✅ Passing');
    expect(complete(fn)).toContain('- Latency: 12.5 ms');
    expect(complete(fn)).toContain('- All alarms: Clear');
    const checklist = (await entries(handle, 'checklist')).map((e) => e.message);
    expect(checklist.some((m) => m.startsWith('checklist: Alarms cleared'))).toBe(true);
    expect(pages(fn, 'escalation').filter((n) => n.text.includes('rolled back, but'))).toEqual([]);
  });

  test('a check whose source is unreadable makes the incident "not verified", never healthy', async () => {
    const { name: fn } = h.lambdaFunction();
    h.setCheckReading((spec) => checkReading(spec, 'unreadable', 'no figure in the answer'));
    const handle = await h.start(
      input(fn, {
        errorRatePct: undefined,
        outage: true,
        verification: {
          checks: [
            { check: 'errorRate', source: { type: 'healthUrl', url: `${healthUrl(fn)}/plain` }, timeoutSeconds: 30 },
          ],
        },
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unverified', verification: { verdict: 'unverified' } });
    expect(result.verification!.checks![0]).toMatchObject({ status: 'unreadable', passed: false });
  });
});
