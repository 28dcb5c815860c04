// The HTTP trigger against the Temporal dev server and a real worker: each alert format starts
// or signals `rollback-<environment>-<service>`, and bad, forged or replayed bodies answer 4xx
// and start nothing (checked with describe and, at the end, the visibility list).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { incidentWorkflowId } from '../../src/domain/schemas/incidentRollback.js';
import { ALERT_RESOLVED_SIGNAL } from '../../src/trigger/dispatch.js';
import { buildTrigger } from '../../src/trigger/server.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { status, waitForPhase } from '../support/incident.js';
import { freePort, waitFor } from '../support/ports.js';
import { configFor, createTestWorker, startDevServer } from '../support/temporal.js';
import {
  alertmanagerBody,
  postTo,
  CERT_URL,
  cloudWatchNotification,
  PAGERDUTY_OLD_SECRET,
  PAGERDUTY_SECRET,
  pagerDutyBody,
  pagerDutySignature,
  snsSigner,
  testCatalog,
  testTriggerConfig,
  TOKEN,
  TOPIC_ARN,
  workflowExists,
  seedCatalogFunctions,
  type SnsSigner,
} from './support.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const SERVICES = ['am-api', 'plain-api', 'pd-api', 'sns-api', 'bad-api', 'quiet-api'];

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let receiver: HttpReceiver;
let moto: MotoServer;
let signer: SnsSigner;
let app: FastifyInstance;
const confirmations: string[] = [];
const certFetches: string[] = [];
/** Every workflow the tests expect to exist; anything else on the task queue is a failure. */
const expected = new Set<string>();

beforeAll(async () => {
  [env, receiver, moto] = await Promise.all([startDevServer(), startHttpReceiver(), startMoto()]);
  // The incidents here plan their procedures (reads only) and wait for people; none rolls back.
  await seedCatalogFunctions(moto, SERVICES);
  ({ worker, taskQueue } = await createTestWorker(env, configFor(moto.endpoint)));
  running = worker.run();
  signer = snsSigner();
  app = buildTrigger({
    client: env.client,
    catalog: testCatalog(SERVICES),
    taskQueue,
    config: testTriggerConfig(signer.certCacheDir),
    confirmSubscription: async (url) => {
      confirmations.push(url);
    },
    fetchCertificate: async (url) => {
      certFetches.push(url);
      throw new Error('no network in tests');
    },
  });
  address = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await Promise.all([env?.teardown(), receiver?.close(), moto?.stop()]);
});

let address: string;

function post(url: string, body: unknown, headers: Record<string, string> = {}, to = address) {
  return postTo(to, url, body, { authorization: `Bearer ${TOKEN}`, ...headers });
}

const firing = (service: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) =>
  alertmanagerBody([{ labels: { service, severity: 'critical', ...labels }, annotations }]);

describe('Alertmanager', () => {
  test('a critical alert starts a P1 incident; the same alert again signals it (alerts: 2)', async () => {
    const first = await post('/v1/alerts/alertmanager', firing('am-api', { env: 'staging' }));
    expect(first.statusCode).toBe(202);
    const workflowId = 'rollback-staging-am-api';
    expected.add(workflowId);
    expect(first.json()).toMatchObject({
      incidents: [{ workflowId, started: true, severity: 'P1', alerts: 1 }],
      unmatched: [],
    });
    const second = await post('/v1/alerts/alertmanager', firing('am-api', { env: 'staging' }));
    expect(second.json()).toMatchObject({
      incidents: [{ workflowId, runId: first.json().incidents[0].runId, started: false, severity: 'P1' }],
    });
    const handle = env.client.workflow.getHandle(workflowId);
    await waitFor('2 alerts', async () => (await status(handle)).alerts === 2);
    // The incident plans its procedures first, then asks for the confirmation.
    expect(await waitForPhase(handle, 'awaiting-confirmation')).toMatchObject({ severity: 'P1' });
  });

  test('a resolved alert is signalled to the running incident and never starts one', async () => {
    const resolved = (service: string) =>
      alertmanagerBody([{ status: 'resolved', labels: { service, env: 'staging', severity: 'critical' } }]);
    const answer = await post('/v1/alerts/alertmanager', resolved('am-api'));
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toMatchObject({
      incidents: [],
      resolved: [{ workflowId: 'rollback-staging-am-api', signalled: true }],
    });
    const history = await env.client.workflow.getHandle('rollback-staging-am-api').fetchHistory();
    const signals = history.events!.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    expect(signals).toEqual(['alert', 'alert', ALERT_RESOLVED_SIGNAL]);

    const none = await post('/v1/alerts/alertmanager', resolved('quiet-api'));
    expect(none.json()).toMatchObject({ resolved: [{ workflowId: 'rollback-staging-quiet-api', signalled: false }] });
    expect(await workflowExists(env, 'rollback-staging-quiet-api')).toBe(false);
  });

  test('unmatched alerts and unknown environments are listed, not started', async () => {
    const answer = await post(
      '/v1/alerts/alertmanager',
      alertmanagerBody([{ labels: { service: 'nobody' } }, { labels: { service: 'quiet-api', environment: 'moon' } }]),
    );
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toEqual({
      incidents: [],
      resolved: [],
      ignored: [],
      unmatched: [
        { alert: 'HighErrorRate', reason: 'no catalog service matches its labels' },
        { alert: 'HighErrorRate', reason: `environment "moon" is not one of quiet-api's (production, staging)` },
      ],
    });
    expect(await workflowExists(env, 'rollback-moon-quiet-api')).toBe(false);
  });
});

describe('bad input answers 4xx and starts nothing', () => {
  const good = firing('bad-api', {}, { errorRatePct: '12' });
  const raw = JSON.stringify(good);
  const oversized = firing('bad-api', {}, { description: 'x'.repeat(1024 * 1024) });
  const cases: [string, () => Promise<{ statusCode: number; json(): { error: string } }>, number, RegExp][] = [
    ['malformed JSON', () => post('/v1/alerts/alertmanager', '{"version": "4",'), 400, /^\(body\): not valid JSON/],
    ['a truncated body', () => post('/v1/alerts/alertmanager', raw.slice(0, raw.length / 2)), 400, /not valid JSON/],
    [
      'alerts of the wrong type',
      () => post('/v1/alerts/alertmanager', { ...good, alerts: 'many' }),
      400,
      /^alerts: Expected array/,
    ],
    [
      'a label of the wrong type',
      () => post('/v1/alerts/alertmanager', { ...good, alerts: [{ ...good.alerts[0], labels: { service: 7 } }] }),
      400,
      /^alerts\.0\.labels\.service: Expected string/,
    ],
    [
      'a non-numeric errorRatePct',
      () => post('/v1/alerts/alertmanager', firing('bad-api', {}, { errorRatePct: 'lots' })),
      400,
      /^alerts\[0\]\.annotations\.errorRatePct: must be a number/,
    ],
    [
      'another webhook version',
      () => post('/v1/alerts/alertmanager', { ...good, version: '3' }),
      400,
      /^version: Invalid literal value/,
    ],
    ['a body over 1 MiB', () => post('/v1/alerts/alertmanager', oversized), 413, /too large/i],
    [
      'text/plain',
      () => post('/v1/alerts/alertmanager', raw, { 'content-type': 'text/plain' }),
      415,
      /application\/json/,
    ],
    [
      'an unsupported media type',
      () => post('/v1/alerts/alertmanager', raw, { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      /./,
    ],
    ['no token', () => post('/v1/alerts/alertmanager', raw, { authorization: '' }), 401, /bearer token/],
    [
      'a wrong token',
      () => post('/v1/alerts/alertmanager', raw, { authorization: `Bearer ${TOKEN}x` }),
      401,
      /bearer token/,
    ],
    [
      'a plain incident with a wrong type',
      () => post('/v1/incidents', { service: 'bad-api', errorRatePct: '12', reason: 'r', requestedBy: 'bob' }),
      400,
      /^errorRatePct: Expected number, received string/,
    ],
    [
      'a plain incident for an unknown service',
      () => post('/v1/incidents', { service: 'ghost', severity: 'P1', reason: 'r', requestedBy: 'bob' }),
      400,
      /^service: not in the service catalog/,
    ],
    [
      'a plain incident without a severity or signal',
      () => post('/v1/incidents', { service: 'bad-api', reason: 'r', requestedBy: 'bob' }),
      400,
      /^severity: give a severity/,
    ],
    [
      'a forged PagerDuty signature',
      () =>
        post('/v1/alerts/pagerduty', pagerDutyBody('bad-api', 'incident.triggered'), {
          'x-pagerduty-signature': pagerDutySignature('{}', PAGERDUTY_SECRET),
        }),
      401,
      /X-PagerDuty-Signature/,
    ],
  ];

  test.each(cases)('%s', async (_name, send, code, message) => {
    const answer = await send();
    expect(answer.statusCode).toBe(code);
    expect(answer.json().error).toMatch(message);
    expect(await workflowExists(env, incidentWorkflowId('production', 'bad-api'))).toBe(false);
  });

  test('one bad alert in a group refuses the whole group: nothing is started or signalled', async () => {
    const body = alertmanagerBody([
      { labels: { service: 'bad-api', severity: 'critical' } },
      { labels: { service: 'bad-api', severity: 'critical' }, annotations: { outage: 'maybe' } },
    ]);
    const answer = await post('/v1/alerts/alertmanager', body);
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toBe('alerts[1].annotations.outage: must be true or false, got "maybe"');
    expect(await workflowExists(env, incidentWorkflowId('production', 'bad-api'))).toBe(false);
  });
});

describe('plain JSON', () => {
  test('POST /v1/incidents starts an incident with the catalog procedures', async () => {
    const answer = await post('/v1/incidents', {
      service: 'plain-api',
      severity: 'P2',
      reason: 'checkout errors after release 3',
      requestedBy: 'alice',
    });
    expect(answer.statusCode).toBe(202);
    const workflowId = 'rollback-production-plain-api';
    expected.add(workflowId);
    expect(answer.json().incidents).toMatchObject([{ workflowId, started: true, severity: 'P2' }]);
    const described = await env.client.workflow.getHandle(workflowId).describe();
    expect(described.type).toBe('incidentRollback');
  });
});

describe('PagerDuty', () => {
  const send = (body: unknown, ...secrets: string[]) => {
    const raw = JSON.stringify(body);
    return post('/v1/alerts/pagerduty', raw, { 'x-pagerduty-signature': pagerDutySignature(raw, ...secrets) });
  };

  test('a triggered event signed during secret rotation starts a P1 incident; a replay is refused', async () => {
    const body = pagerDutyBody('pd-api', 'incident.triggered');
    const answer = await send(body, 'unknown-secret', PAGERDUTY_SECRET);
    expect(answer.statusCode).toBe(202);
    expected.add('rollback-production-pd-api');
    expect(answer.json().incidents).toMatchObject([
      { workflowId: 'rollback-production-pd-api', started: true, severity: 'P1' },
    ]);
    const replay = await send(body, PAGERDUTY_SECRET);
    expect(replay.statusCode).toBe(409);
    const old = await send(pagerDutyBody('pd-api', 'incident.escalated', 'low'), PAGERDUTY_OLD_SECRET);
    expect(old.json().incidents).toMatchObject([{ started: false, severity: 'P2' }]);
    const handle = env.client.workflow.getHandle('rollback-production-pd-api');
    await waitFor('2 alerts', async () => (await status(handle)).alerts === 2);
  });

  test('acknowledgements are ignored, stale events refused, resolutions signalled', async () => {
    const ack = await send(pagerDutyBody('pd-api', 'incident.acknowledged'), PAGERDUTY_SECRET);
    expect(ack.json()).toMatchObject({ incidents: [], ignored: [{ reason: expect.stringMatching(/acknowledged/) }] });
    const stale = await send(
      pagerDutyBody('quiet-api', 'incident.triggered', 'high', new Date(Date.now() - 2 * 3600_000)),
      PAGERDUTY_SECRET,
    );
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error).toMatch(/^event\.occurred_at: .* is older than 3600 s/);
    expect(await workflowExists(env, 'rollback-production-quiet-api')).toBe(false);
    const resolved = await send(pagerDutyBody('pd-api', 'incident.resolved'), PAGERDUTY_SECRET);
    expect(resolved.json().resolved).toEqual([{ workflowId: 'rollback-production-pd-api', signalled: true }]);
  });
});

describe('SNS and CloudWatch', () => {
  const send = (message: unknown) =>
    post('/v1/alerts/sns', JSON.stringify(message), { 'content-type': 'text/plain; charset=UTF-8', authorization: '' });

  test('ALARM notifications signed with versions 2 and 1 start and signal the incident; OK is signalled', async () => {
    const alarm = signer.sign(cloudWatchNotification('sns-api-errors', 'ALARM'), '2');
    const first = await send(alarm);
    expect(first.statusCode).toBe(202);
    expected.add('rollback-production-sns-api');
    expect(first.json().incidents).toMatchObject([
      { workflowId: 'rollback-production-sns-api', started: true, severity: 'P1' },
    ]);
    const again = await send(signer.sign(cloudWatchNotification('sns-api-errors', 'ALARM'), '1'));
    expect(again.json().incidents).toMatchObject([{ started: false }]);
    const replay = await send(alarm);
    expect(replay.statusCode).toBe(409);
    const ok = await send(signer.sign(cloudWatchNotification('sns-api-errors', 'OK')));
    expect(ok.json().resolved).toEqual([{ workflowId: 'rollback-production-sns-api', signalled: true }]);
    const handle = env.client.workflow.getHandle('rollback-production-sns-api');
    await waitFor('2 alerts', async () => (await status(handle)).alerts === 2);
  });

  test('forged, foreign, stale and unlisted messages answer 4xx, fetch nothing and start nothing', async () => {
    const alarm = () => cloudWatchNotification('quiet-api-errors', 'ALARM');
    const signed = signer.sign(alarm());
    const tampered = { ...signed, Message: signed.Message.replace('ALARM', 'OK') };
    const foreignCert = { ...signed, SigningCertURL: `${receiver.url}/cert.pem` };
    const lookalike = { ...signed, SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem' };
    const stale = signer.sign({ ...alarm(), Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() });
    const otherTopic = signer.sign({ ...alarm(), TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' });
    const missingField = { ...signed, MessageId: undefined };
    for (const [message, code] of [
      [tampered, 401],
      [foreignCert, 401],
      [lookalike, 401],
      [stale, 400],
      [otherTopic, 403],
      [missingField, 400],
    ] as const) {
      expect({ code: (await send(message)).statusCode, message }).toEqual({ code, message });
    }
    expect(certFetches).toEqual([]);
    expect(receiver.requests).toEqual([]);
    expect(await workflowExists(env, 'rollback-production-quiet-api')).toBe(false);
  });

  test('an allow-listed certificate missing from the cache is fetched; when it cannot be, SNS is asked to retry', async () => {
    const message = signer.sign(cloudWatchNotification('quiet-api-errors', 'ALARM'));
    const uncached = { ...message, SigningCertURL: CERT_URL.replace('-test.pem', '-rotated.pem') };
    const answer = await send(uncached);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('30');
    expect(certFetches).toEqual([uncached.SigningCertURL]);
    expect(await workflowExists(env, 'rollback-production-quiet-api')).toBe(false);
  });

  test('a subscription is confirmed only at an sns.<region>.amazonaws.com SubscribeURL', async () => {
    const confirmation = (subscribeUrl: string) =>
      signer.sign({
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        TopicArn: TOPIC_ARN,
        Message: 'You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL.',
        Timestamp: new Date().toISOString(),
        Token: '2336412f37fb687f5d51e6e2425c464d',
        SubscribeURL: subscribeUrl,
      });
    const url = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC_ARN}&Token=2336`;
    const good = await send(confirmation(url));
    expect(good.statusCode).toBe(200);
    expect(confirmations).toEqual([url]);
    const evil = await send(confirmation(`${receiver.url}/confirm`));
    expect(evil.statusCode).toBe(400);
    expect(evil.json().error).toMatch(/^SubscribeURL: not an https:\/\/sns/);
    expect(confirmations).toEqual([url]);
    expect(receiver.requests).toEqual([]);
  });
});

describe('limits, availability and metrics', () => {
  test('a source over its rate limit gets 429 with Retry-After; other sources are unaffected', async () => {
    const limited = buildTrigger({
      client: env.client,
      catalog: testCatalog(SERVICES),
      taskQueue,
      config: testTriggerConfig(signer.certCacheDir, { TRIGGER_RATE_LIMIT_PER_MINUTE: '2' }),
    });
    const at = await limited.listen({ host: '127.0.0.1', port: 0 });
    const send = (url: string) => post(url, '{}', {}, at);
    expect((await send('/v1/alerts/alertmanager')).statusCode).toBe(400);
    expect((await send('/v1/alerts/alertmanager')).statusCode).toBe(400);
    const third = await send('/v1/alerts/alertmanager');
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await send('/v1/incidents')).statusCode).toBe(400);
    await limited.close();
  });

  test('Temporal unavailable: 503 with Retry-After, so the sender retries', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const down = buildTrigger({
      client: new Client({ connection }),
      catalog: testCatalog(SERVICES),
      taskQueue,
      config: testTriggerConfig(signer.certCacheDir, { TRIGGER_TEMPORAL_TIMEOUT_MS: '1000' }),
    });
    const at = await down.listen({ host: '127.0.0.1', port: 0 });
    const answer = await post('/v1/alerts/alertmanager', firing('quiet-api'), {}, at);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('30');
    await down.close();
    await connection.close();
  });

  test('over real HTTP: /healthz answers, /metrics counts requests by source and outcome and incidents started', async () => {
    expect(await (await fetch(`${address}/healthz`)).json()).toEqual({ status: 'ok', services: SERVICES.length });
    const text = await (await fetch(`${address}/metrics`)).text();
    expect(text).toMatch(/rollback_trigger_requests_total\{source="alertmanager",outcome="accepted",code="202"\} \d+/);
    expect(text).toMatch(
      /rollback_trigger_requests_total\{source="alertmanager",outcome="unauthorized",code="401"\} 2/,
    );
    expect(text).toMatch(/rollback_trigger_requests_total\{source="sns",outcome="replayed",code="409"\} 1/);
    expect(text).toContain('rollback_trigger_incidents_started_total{source="alertmanager"} 1');
    expect(text).toContain('rollback_trigger_incidents_signalled_total{source="sns",kind="resolved"} 1');
    expect(text).toMatch(/rollback_trigger_request_duration_seconds_bucket\{le="[\d.]+",source="pagerduty"\} \d+/);
  });

  test('only the expected incidents exist on the task queue', async () => {
    // Incidents only: each also runs its procedures' plans as child workflows.
    const query = `TaskQueue="${taskQueue}" AND WorkflowType="incidentRollback"`;
    const list = async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.sort();
    };
    await waitFor('the visibility store', async () => (await list()).length >= expected.size);
    expect(await list()).toEqual([...expected].sort());
  });
});
