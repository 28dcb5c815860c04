// Issue 12, incident side: the verification suite (`verification.checks`) runs after the rollback
// as a verifyRollback child on the time-skipping server, with a real Lambda rollback in moto, a
// real HTTP service (the receiver) and CloudWatch alarms in moto. A service that stays unhealthy
// closes unhealthy and pages; one that recovers announces its measured latency and cleared alarms.
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { aliasVersion } from '../support/aws.js';
import { entries, p1Input, useIncidentHarness, type IncidentHarness } from '../support/incident.js';

let h: IncidentHarness;
useIncidentHarness((started) => (h = started));

const pages = (fn: string, kind: string) =>
  h.receiver.posted<{ kind: string; text: string }>(`/escalation/${fn}`).filter((m) => m.kind === kind);
const slackTexts = (fn: string) => h.receiver.posted<{ text: string }>(`/slack/${fn}`).map((m) => m.text);

async function alarm(name: string, state: 'OK' | 'ALARM') {
  const cloudwatch = new CloudWatchClient({ endpoint: h.moto.endpoint, region: h.moto.region });
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }),
  );
}

test('a service still failing after the rollback closes "rolled-back-unhealthy", says which check failed, and pages', async () => {
  const fn = await h.seedFunction();
  h.receiver.answer(`/${fn}/health`, 503);
  await alarm(`${fn}-errors`, 'ALARM');
  const handle = await h.start(
    p1Input(h.receiver.url, fn, {
      errorRatePct: undefined,
      outage: true,
      verification: {
        checks: [
          { check: 'httpHealth', url: `${h.receiver.url}/${fn}/health`, timeoutSeconds: 120, intervalSeconds: 20 },
          { check: 'cloudwatchAlarms', namePrefix: `${fn}-`, timeoutSeconds: 60 },
        ],
      },
    }),
  );
  const result: IncidentResult = await handle.result();
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { verdict: 'unhealthy' } });
  expect(result.verification!.checks).toEqual([
    expect.objectContaining({ check: 'httpHealth', status: 'failed', observed: 'HTTP 503' }),
    expect.objectContaining({ check: 'cloudwatchAlarms', status: 'failed', observed: `1 in ALARM: ${fn}-errors` }),
  ]);
  // Readings were retried within the check's limit before it failed.
  expect(result.verification!.checks![0]!.readings).toBeGreaterThan(1);
  const complete = slackTexts(fn).find((t) => t.startsWith('*✅ ROLLBACK COMPLETE*'))!;
  expect(complete).toContain('*Status:* Rolled back, service still unhealthy');
  expect(complete).toContain('- Health checks: ❌ Failing');
  expect(complete).toContain('- All alarms: not confirmed yet');
  expect(pages(fn, 'escalation').some((m) => m.text.includes('rolled back, but unhealthy'))).toBe(true);
  const verification = await entries(handle, 'verification');
  expect(verification.some((e) => e.message.startsWith('httpHealth failed'))).toBe(true);
});

test('a service that recovers closes "rolled-back", announcing measured latency and cleared alarms', async () => {
  const fn = await h.seedFunction();
  h.receiver.answer(`/${fn}/api`, 200);
  await alarm(`${fn}-errors`, 'OK');
  const handle = await h.start(
    p1Input(h.receiver.url, fn, {
      errorRatePct: undefined,
      outage: true,
      verification: {
        checks: [
          { check: 'httpHealth', url: `${h.receiver.url}/${fn}/api`, consecutive: 2, intervalSeconds: 5 },
          {
            check: 'latency',
            source: { type: 'requests', url: `${h.receiver.url}/${fn}/api`, requests: 5 },
            maxMs: 5000,
          },
          { check: 'cloudwatchAlarms', namePrefix: `${fn}-` },
        ],
      },
    }),
  );
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ outcome: 'rolled-back', verification: { verdict: 'healthy' } });
  const latencyMs = result.verification!.latencyMs!;
  expect(latencyMs).toBeGreaterThan(0);
  const complete = slackTexts(fn).find((t) => t.startsWith('*✅ ROLLBACK COMPLETE*'))!;
  expect(complete).toContain('*Status:* Services restored');
  expect(complete).toContain('- Health checks: ✅ Passing');
  expect(complete).toContain(`- Latency: ${Math.round(latencyMs * 100) / 100} ms`);
  expect(complete).toContain('- All alarms: Clear');
  const checklist = (await entries(handle, 'checklist')).map((e) => e.message);
  expect(checklist.some((m) => m.startsWith('checklist: Alarms cleared'))).toBe(true);
  expect(pages(fn, 'escalation').filter((m) => m.text.includes('rolled back, but'))).toEqual([]);
});

test('a check whose source is unreadable makes the incident "not verified", never healthy', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(
    p1Input(h.receiver.url, fn, {
      errorRatePct: undefined,
      outage: true,
      verification: {
        checks: [
          {
            check: 'errorRate',
            source: { type: 'healthUrl', url: `${h.receiver.url}/${fn}/plain` },
            timeoutSeconds: 30,
          },
        ],
      },
    }),
  );
  h.receiver.answer(`/${fn}/plain`, 200);
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ outcome: 'rolled-back-unverified', verification: { verdict: 'unverified' } });
  expect(result.verification!.checks![0]).toMatchObject({ status: 'unreadable', passed: false });
});
