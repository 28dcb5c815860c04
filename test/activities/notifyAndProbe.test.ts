// Notification, error-rate and latency activities against a real local HTTP server.
import { ApplicationFailure } from '@temporalio/common';
import { createHttpActivities, errorRateFromHealthBody } from '../../src/activities/http.js';
import { loadChannels } from '../../src/config/channels.js';
import { createNotifyActivities } from '../../src/activities/notify.js';
import type { Notification } from '../../src/domain/incident/notifications.js';
import { freePort } from '../support/ports.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';

let receiver: HttpReceiver;
let sendNotification: ReturnType<typeof createNotifyActivities>['sendNotification'];
let unknownChannels: ReturnType<typeof createNotifyActivities>['unknownChannels'];
const { probeErrorRate, probeLatency } = createHttpActivities({ timeoutMs: 2000 });
let downPort: number;

/** Channels as the worker reads them from ROLLBACK_CHANNELS: each URL in a variable of its own. */
beforeAll(async () => {
  receiver = await startHttpReceiver();
  downPort = await freePort();
  const hooks: Record<string, [string, string]> = {
    'team-slack': ['slack', '/services/T000/B000/secret-token'],
    'revoked-slack': ['slack', '/services/T000/B000/revoked'],
    hook: ['webhook', '/hook'],
    flaky: ['webhook', '/flaky'],
  };
  const env: NodeJS.ProcessEnv = { DOWN_URL: `http://127.0.0.1:${downPort}/hook?token=abc` };
  const map: Record<string, { type: string; urlEnv: string }> = { down: { type: 'webhook', urlEnv: 'DOWN_URL' } };
  for (const [name, [type, path]] of Object.entries(hooks)) {
    const urlEnv = `URL_${name.replace('-', '_').toUpperCase()}`;
    env[urlEnv] = `${receiver.url}${path}`;
    map[name] = { type, urlEnv };
  }
  env.ROLLBACK_CHANNELS = JSON.stringify(map);
  ({ sendNotification, unknownChannels } = createNotifyActivities({ timeoutMs: 2000, channels: loadChannels(env) }));
});
afterAll(async () => {
  await receiver?.close();
});

const notification: Notification = {
  kind: 'rollback-in-progress',
  text: '**🔴 ROLLBACK IN PROGRESS**\n\n**Environment:** Production',
  incidentId: 'rollback-production-checkout-api',
  service: 'checkout-api',
  environment: 'production',
  severity: 'P1',
};

test('a Slack incoming webhook gets the text in Slack mrkdwn; the receipt never shows the URL', async () => {
  const receipt = await sendNotification({ channel: { channel: 'team-slack' }, notification });
  expect(receipt).toEqual({ channel: 'team-slack', delivered: true, detail: 'HTTP 200' });
  expect(JSON.stringify(receipt)).not.toContain('secret-token');
  expect(receiver.posted('/services/T000/B000/secret-token')).toEqual([
    { text: '*🔴 ROLLBACK IN PROGRESS*\n\n*Environment:* Production', mrkdwn: true },
  ]);
});

test('a generic webhook gets the whole notification as JSON', async () => {
  await sendNotification({ channel: { channel: 'hook' }, notification });
  expect(receiver.posted('/hook')).toEqual([notification]);
});

test('a 4xx answer is not retried and names the channel without its secret path', async () => {
  receiver.answer('/services/T000/B000/revoked', 404);
  const error = await sendNotification({ channel: { channel: 'revoked-slack' }, notification }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
  expect((error as ApplicationFailure).message).toMatch(/^notify: slack channel "revoked-slack" answered HTTP 404/);
  expect((error as Error).message).not.toContain('/services/');
});

test('a 5xx answer and an unreachable receiver are retryable errors', async () => {
  receiver.answer('/flaky', 503);
  const flaky = await sendNotification({ channel: { channel: 'flaky' }, notification }).catch((e: unknown) => e);
  expect(flaky).not.toBeInstanceOf(ApplicationFailure);
  expect((flaky as Error).message).toContain('answered HTTP 503');
  const down = await sendNotification({ channel: { channel: 'down' }, notification }).catch((e: unknown) => e);
  expect((down as Error).message).toBe('notify: webhook channel "down" unreachable (ECONNREFUSED)');
  expect((down as Error).message).not.toContain(String(downPort));
});

test('an unknown channel name fails non-retryably, naming it; unknownChannels lists it', async () => {
  const error = await sendNotification({ channel: { channel: 'payments-slack' }, notification }).catch(
    (e: unknown) => e,
  );
  expect((error as ApplicationFailure).type).toBe('NotConfigured');
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
  expect((error as Error).message).toContain('channel "payments-slack" is not configured on this worker');
  expect(await unknownChannels(['log', 'hook', 'payments-slack', 'payments-slack'])).toEqual(['payments-slack']);
});

test('latency is read from the health JSON, or timed', async () => {
  const reading = await probeLatency({ type: 'healthUrl', url: `${receiver.url}/health`, thresholdMs: 500 });
  expect(reading.detail).toMatch(/^HTTP 200, request took \d+ ms$/);
  expect(reading.latencyMs).toBeGreaterThanOrEqual(0);
  receiver.answer('/latency-down', 503);
  const error = await probeLatency({ type: 'healthUrl', url: `${receiver.url}/latency-down`, thresholdMs: 500 }).catch(
    (e: unknown) => e,
  );
  expect((error as Error).message).toContain('answered HTTP 503');
});

test('the health URL error rate is read from its JSON, and changes when the service does', async () => {
  receiver.setErrorRatio(0.004);
  expect(await probeErrorRate({ type: 'healthUrl', url: `${receiver.url}/health` })).toMatchObject({
    errorRatePct: 0.4,
  });
  receiver.setErrorRatio(0.08);
  expect((await probeErrorRate({ type: 'healthUrl', url: `${receiver.url}/health` })).errorRatePct).toBe(8);
});

test('a failing health URL counts as 100% errors; one without a ratio is a non-retryable misconfiguration', async () => {
  receiver.answer('/down', 503);
  expect((await probeErrorRate({ type: 'healthUrl', url: `${receiver.url}/down` })).errorRatePct).toBe(100);
  const error = await probeErrorRate({ type: 'healthUrl', url: `${receiver.url}/not-health` }).catch((e: unknown) => e);
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
  expect((error as ApplicationFailure).message).toContain('without errorRatio, errorRatePct or errors/requests');
});

test('health bodies: a ratio, a percentage, or counts', () => {
  expect(errorRateFromHealthBody({ errorRatio: 0.02 })).toBe(2);
  expect(errorRateFromHealthBody({ errorRatePct: 7 })).toBe(7);
  expect(errorRateFromHealthBody({ errors: 3, requests: 200 })).toBe(1.5);
  expect(errorRateFromHealthBody({ errors: 0, requests: 0 })).toBe(0);
  expect(errorRateFromHealthBody({ status: 'ok' })).toBeUndefined();
});
