// The signal mapping of docs/trigger.md as plain unit tests: what each alert format becomes.
import { classifyIncident } from '../../src/domain/schemas/incidentRollback.js';
import { bearerTokenValid } from '../../src/trigger/auth.js';
import { RateLimiter, ReplayGuard } from '../../src/trigger/rateLimit.js';
import { alertmanagerPayload, routeAlertmanager } from '../../src/trigger/sources/alertmanager.js';
import { pagerDutyPayload, pagerDutySignatureValid, routePagerDuty } from '../../src/trigger/sources/pagerduty.js';
import { routeCloudWatch, snsMessage } from '../../src/trigger/sources/sns.js';
import { alertmanagerBody, cloudWatchNotification, pagerDutyBody, pagerDutySignature, testCatalog } from './support.js';

const catalog = testCatalog(['api']);

function amSignals(labels: Record<string, string>, annotations: Record<string, string> = {}) {
  const payload = alertmanagerPayload.parse(alertmanagerBody([{ labels: { service: 'api', ...labels }, annotations }]));
  const [alert] = routeAlertmanager(catalog, payload).alerts;
  return { signals: alert!.signals, severity: classifyIncident(alert!.signals).severity };
}

describe('Alertmanager signal mapping', () => {
  test.each([
    [{ severity: 'critical' }, {}, 'P1'],
    [{ severity: 'page' }, {}, 'P1'],
    [{ severity: 'warning' }, {}, 'P2'],
    [{ severity: 'info' }, {}, 'P3'],
    [{ severity: 'P0' }, {}, 'P0'],
    [{}, {}, 'P1'], // no severity, no measurement: the service's defaultSeverity
    [{ severity: 'unheard-of' }, {}, 'P1'],
    [{}, { errorRatePct: '12' }, 'P1'],
    [{}, { errorRatePct: '0.5%' }, 'P2'],
    [{}, { latencyDegradationPct: '80' }, 'P1'],
    [{}, { outage: 'true' }, 'P0'],
    [{ severity: 'critical' }, { outage: 'true' }, 'P0'], // a label never lowers an outage
    [{ severity: 'warning' }, { errorRatePct: '12' }, 'P1'], // nor a measurement of major errors
    [{ severity: 'critical' }, { errorRatePct: '0.5' }, 'P1'], // a measurement never lowers a label
  ])('labels %j and annotations %j are %s', (labels, annotations, severity) => {
    expect(amSignals(labels, annotations).severity).toBe(severity);
  });

  test('the environment comes from the env or environment label, else the first of the service', () => {
    const route = (labels: Record<string, string>) =>
      routeAlertmanager(
        catalog,
        alertmanagerPayload.parse(alertmanagerBody([{ labels: { service: 'api', ...labels } }])),
      );
    expect(route({ env: 'staging' }).alerts[0]!.environment).toBe('staging');
    expect(route({ environment: 'staging' }).alerts[0]!.environment).toBe('staging');
    expect(route({}).alerts[0]!.environment).toBe('production');
  });

  test('truncated alerts are counted from the common labels, at most 1,000', () => {
    const body = alertmanagerBody([{ labels: { service: 'api' } }], {
      truncatedAlerts: 5000,
      commonLabels: { alertname: 'HighErrorRate', service: 'api' },
    });
    expect(routeAlertmanager(catalog, alertmanagerPayload.parse(body)).alerts).toHaveLength(1001);
  });
});

describe('PagerDuty and CloudWatch mapping', () => {
  test('urgency high is P1, low P2; a P0-P3 priority wins; acknowledgements are ignored', () => {
    const route = (body: ReturnType<typeof pagerDutyBody>) => routePagerDuty(catalog, pagerDutyPayload.parse(body));
    expect(route(pagerDutyBody('api', 'incident.triggered', 'high')).alerts[0]!.signals.severity).toBe('P1');
    expect(route(pagerDutyBody('api', 'incident.triggered', 'low')).alerts[0]!.signals.severity).toBe('P2');
    const p0 = pagerDutyBody('api', 'incident.triggered', 'low');
    (p0.event.data as Record<string, unknown>).priority = { summary: 'P0' };
    expect(route(p0).alerts[0]!.signals.severity).toBe('P0');
    expect(route(pagerDutyBody('api', 'incident.resolved')).alerts[0]!.status).toBe('resolved');
    expect(route(pagerDutyBody('api', 'incident.acknowledged')).ignored).toHaveLength(1);
  });

  test('ALARM fires with the default severity, OK resolves, INSUFFICIENT_DATA is ignored', () => {
    const route = (state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA') => {
      const n = cloudWatchNotification('api-errors', 'ALARM');
      const message = snsMessage.parse({
        ...n,
        Message: n.Message.replace('"NewStateValue":"ALARM"', `"NewStateValue":"${state}"`),
        SignatureVersion: '2',
        Signature: 'x',
        SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
      });
      return routeCloudWatch(catalog, message as Extract<typeof message, { Type: 'Notification' }>);
    };
    expect(route('ALARM').alerts[0]).toMatchObject({ status: 'firing', signals: { severity: 'P1' } });
    expect(route('OK').alerts[0]).toMatchObject({ status: 'resolved' });
    expect(route('INSUFFICIENT_DATA').ignored).toHaveLength(1);
  });
});

describe('authentication and limits', () => {
  test('bearer tokens: any configured one, none when unconfigured', () => {
    expect(bearerTokenValid('Bearer b', ['a', 'b'])).toBe(true);
    expect(bearerTokenValid('bearer  b ', ['a', 'b'])).toBe(true);
    expect(bearerTokenValid('Bearer c', ['a', 'b'])).toBe(false);
    expect(bearerTokenValid('Basic b', ['b'])).toBe(false);
    expect(bearerTokenValid('Bearer ', [''])).toBe(false);
    expect(bearerTokenValid('Bearer b', [])).toBe(false);
  });

  test('PagerDuty signatures: any v1 signature under any secret; other versions and garbage are not', () => {
    const raw = '{"event":{}}';
    expect(pagerDutySignatureValid(raw, pagerDutySignature(raw, 'x', 'new'), ['old', 'new'])).toBe(true);
    expect(pagerDutySignatureValid(raw, pagerDutySignature(raw, 'x'), ['old', 'new'])).toBe(false);
    expect(pagerDutySignatureValid(raw, pagerDutySignature(raw, 'new').replace('v1=', 'v2='), ['new'])).toBe(false);
    expect(pagerDutySignatureValid(raw, 'v1=zz', ['new'])).toBe(false);
    expect(pagerDutySignatureValid(raw, pagerDutySignature(raw, 'new'), [])).toBe(false);
  });

  test('the rate limiter refills per minute and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 30]);
    expect(limiter.take('b')).toBe(0);
    now = 30_000;
    expect(limiter.take('a')).toBe(0);
  });

  test('the replay guard refuses a repeated id until it forgets it', () => {
    const guard = new ReplayGuard(60_000);
    expect(guard.first('m1')).toBe(true);
    expect(guard.first('m1')).toBe(false);
    guard.forget('m1');
    expect(guard.first('m1')).toBe(true);
  });
});
