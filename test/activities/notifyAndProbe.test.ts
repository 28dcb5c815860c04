// Notification and error-rate activities against a real local HTTP server.
import { ApplicationFailure } from '@temporalio/common';
import { createHttpActivities, errorRateFromHealthBody } from '../../src/activities/http.js';
import { createNotifyActivities } from '../../src/activities/notify.js';
import type { Notification } from '../../src/domain/incident/notifications.js';
import { freePort } from '../support/ports.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';

let receiver: HttpReceiver;
const { sendNotification } = createNotifyActivities({ timeoutMs: 2000 });
const { probeErrorRate } = createHttpActivities({ timeoutMs: 2000 });

beforeAll(async () => {
  receiver = await startHttpReceiver();
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
  const receipt = await sendNotification({
    channel: { type: 'slack', webhookUrl: `${receiver.url}/services/T000/B000/secret-token` },
    notification,
  });
  expect(receipt).toEqual({
    channel: 'slack 127.0.0.1:' + new URL(receiver.url).port,
    delivered: true,
    detail: 'HTTP 200',
  });
  expect(JSON.stringify(receipt)).not.toContain('secret-token');
  expect(receiver.posted('/services/T000/B000/secret-token')).toEqual([
    { text: '*🔴 ROLLBACK IN PROGRESS*\n\n*Environment:* Production', mrkdwn: true },
  ]);
});

test('a generic webhook gets the whole notification as JSON', async () => {
  await sendNotification({ channel: { type: 'webhook', url: `${receiver.url}/hook` }, notification });
  expect(receiver.posted('/hook')).toEqual([notification]);
});

test('a 4xx answer is not retried and names the channel without its secret path', async () => {
  receiver.answer('/services/T000/B000/revoked', 404);
  const error = await sendNotification({
    channel: { type: 'slack', webhookUrl: `${receiver.url}/services/T000/B000/revoked` },
    notification,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
  expect((error as ApplicationFailure).message).toMatch(/^notify: slack 127\.0\.0\.1:\d+ answered HTTP 404/);
  expect((error as Error).message).not.toContain('revoked');
});

test('a 5xx answer and an unreachable receiver are retryable errors', async () => {
  receiver.answer('/flaky', 503);
  const flaky = await sendNotification({
    channel: { type: 'webhook', url: `${receiver.url}/flaky` },
    notification,
  }).catch((e: unknown) => e);
  expect(flaky).not.toBeInstanceOf(ApplicationFailure);
  expect((flaky as Error).message).toContain('answered HTTP 503');
  const port = await freePort();
  const down = await sendNotification({
    channel: { type: 'webhook', url: `http://127.0.0.1:${port}/hook?token=abc` },
    notification,
  }).catch((e: unknown) => e);
  expect((down as Error).message).toBe(`notify: webhook http://127.0.0.1:${port}/hook unreachable (ECONNREFUSED)`);
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
