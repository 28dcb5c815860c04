// Every check of the verification suite (docs/verification.md) against a real source: a local
// HTTP server, moto (CloudWatch, Route53), a real PostgreSQL, and Prometheus answers from
// committed fixtures (test/fixtures/prometheus/README.md). Each check: pass, fail, unreadable.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { createCheckActivities } from '../../src/activities/checks/index.js';
import type { KubeClient } from '../../src/activities/kubernetes/client.js';
import { checkInput } from '../../src/domain/schemas/verifyRollback.js';
import type { CheckResult } from '../../src/domain/verification.js';
import { runActivity } from '../support/activityContext.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { freePort } from '../support/ports.js';
import { seedVerificationDatabase, startPostgres, type Postgres } from '../support/postgres.js';
import { repoRoot } from '../support/tools.js';

let moto: MotoServer;
let receiver: HttpReceiver;
let pgServer: Postgres;
let prometheus: { url: string; close(): Promise<void> };
let cloudwatch: CloudWatchClient;
let route53: Route53Client;
let runCheck: (raw: Record<string, unknown>) => Promise<CheckResult>;

const fixture = (name: string) =>
  readFileSync(path.join(repoRoot, 'test', 'fixtures', 'prometheus', `${name}.json`), 'utf8');

/** A local server answering `/api/v1/query` with the fixture named by the query (`fixture:NAME`). */
async function startPrometheusFixtures(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const name = (u.searchParams.get('query') ?? '').replace(/^fixture:/, '');
    if (u.pathname !== '/api/v1/query') {
      res.writeHead(404).end('404 page not found');
      return;
    }
    const body = fixture(name);
    res.writeHead(JSON.parse(body).status === 'success' ? 200 : 400, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

beforeAll(async () => {
  [moto, receiver, pgServer, prometheus] = await Promise.all([
    startMoto(),
    startHttpReceiver(),
    startPostgres(),
    startPrometheusFixtures(),
  ]);
  cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint, region: moto.region });
  route53 = new Route53Client({ endpoint: moto.endpoint, region: moto.region });
  const noKube = (): KubeClient => {
    throw new Error('no Kubernetes in this test');
  };
  const { runVerificationCheck } = createCheckActivities({
    cloudwatch,
    route53,
    kube: noKube,
    env: { ORDERS_DB_PASSWORD: pgServer.password },
  });
  runCheck = (raw) => {
    const spec = checkInput.parse(raw);
    return runActivity(runVerificationCheck, spec);
  };
  await seedVerificationDatabase(pgServer, 'orders');
}, 60_000);

afterAll(async () => {
  await Promise.all([moto?.stop(), receiver?.close(), pgServer?.stop(), prometheus?.close()]);
});

// A port nothing listens on (fetch refuses well-known "bad ports" such as 1 before connecting).
let closedPort: string;
beforeAll(async () => {
  closedPort = `http://127.0.0.1:${await freePort()}`;
});

describe('httpHealth', () => {
  test('2xx passes, 5xx fails, no answer is unreadable', async () => {
    receiver.answer('/ok', 200);
    receiver.answer('/broken', 503);
    expect(await runCheck({ check: 'httpHealth', url: `${receiver.url}/ok` })).toMatchObject({
      status: 'passed',
      passed: true,
      observed: 'HTTP 200',
      target: `GET ${receiver.url}/ok`,
    });
    expect(await runCheck({ check: 'httpHealth', url: `${receiver.url}/broken` })).toMatchObject({
      status: 'failed',
      passed: false,
      observed: 'HTTP 503',
    });
    const down = await runCheck({ check: 'httpHealth', url: `${closedPort}/health` });
    expect(down).toMatchObject({ status: 'unreadable', passed: false });
    expect(down.detail).toContain('unreachable (ECONNREFUSED)');
  });

  test('a URL with credentials or a query is never shown with them', async () => {
    const r = await runCheck({ check: 'httpHealth', url: `http://user:secret@127.0.0.1:1/health?token=abc` });
    expect(JSON.stringify(r)).not.toMatch(/secret|token=abc/);
  });
});

describe('errorRate', () => {
  test('health URL: below the maximum passes, above fails, JSON without figures is unreadable', async () => {
    receiver.setErrorRatio(0.002);
    const check = { check: 'errorRate', source: { type: 'healthUrl', url: `${receiver.url}/health` }, maxPct: 1 };
    expect(await runCheck(check)).toMatchObject({ status: 'passed', observed: '0.2%', value: 0.2 });
    receiver.setErrorRatio(0.4);
    expect(await runCheck(check)).toMatchObject({ status: 'failed', observed: '40%', expected: '< 1%' });
    receiver.answer('/nofigures', 200);
    expect(await runCheck({ ...check, source: { type: 'healthUrl', url: `${receiver.url}/nofigures` } })).toMatchObject(
      { status: 'unreadable' },
    );
    receiver.setErrorRatio(0);
  });

  test('Prometheus instant vector: value judged; empty, several series, an error answer or no server are unreadable', async () => {
    const prom = (query: string, url = prometheus.url) => ({
      check: 'errorRate',
      source: { type: 'prometheus', url, query },
      maxPct: 1,
    });
    expect(await runCheck(prom('fixture:error-rate-low'))).toMatchObject({ status: 'passed', value: 0.42 });
    expect(await runCheck(prom('fixture:error-rate-high'))).toMatchObject({ status: 'failed', observed: '7.5%' });
    expect(await runCheck(prom('fixture:empty-vector'))).toMatchObject({
      status: 'unreadable',
      detail: 'the query returned no series (empty vector)',
    });
    expect((await runCheck(prom('fixture:two-series'))).detail).toContain('returned 2 series');
    expect(await runCheck(prom('fixture:bad-data'))).toMatchObject({ status: 'unreadable' });
    expect((await runCheck(prom('fixture:bad-data'))).detail).toContain('bad_data');
    expect(await runCheck(prom('fixture:scalar-nan'))).toMatchObject({ status: 'unreadable' });
    expect(await runCheck(prom('fixture:error-rate-low', closedPort))).toMatchObject({ status: 'unreadable' });
  });

  test('CloudWatch metrics (moto): the newest datapoint judged; no datapoint is unreadable', async () => {
    const put = (fn: string, value: number) =>
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'Test/Checkout',
          MetricData: [
            {
              MetricName: 'ErrorRatePct',
              Dimensions: [{ Name: 'Function', Value: fn }],
              Value: value,
              Timestamp: new Date(),
            },
          ],
        }),
      );
    const check = (fn: string) => ({
      check: 'errorRate',
      maxPct: 1,
      source: {
        type: 'cloudwatch',
        queries: [
          {
            id: 'pct',
            metric: {
              namespace: 'Test/Checkout',
              metricName: 'ErrorRatePct',
              dimensions: { Function: fn },
              stat: 'Average',
            },
          },
          // moto evaluates an expression that names another query only (no arithmetic): see docs.
          { id: 'rate', expression: 'pct' },
        ],
      },
    });
    await put('good', 0.3);
    await put('bad', 12);
    expect(await runCheck(check('good'))).toMatchObject({
      status: 'passed',
      value: 0.3,
      target: 'CloudWatch metric math "rate"',
    });
    expect(await runCheck(check('bad'))).toMatchObject({ status: 'failed', value: 12 });
    expect(await runCheck(check('silent'))).toMatchObject({ status: 'unreadable', observed: 'no datapoint' });
  });
});

describe('latency', () => {
  test('K timed requests: the percentile against a maximum or a baseline; no answer is unreadable', async () => {
    receiver.answer('/api', 200);
    const r = await runCheck({
      check: 'latency',
      source: { type: 'requests', url: `${receiver.url}/api`, requests: 10 },
      percentile: 'p95',
      maxMs: 2000,
    });
    expect(r).toMatchObject({ status: 'passed', target: `p95 of 10 GET ${receiver.url}/api` });
    expect(r.value).toBeGreaterThan(0);
    // No local request takes under 0.001 ms: a real measurement fails a baseline it cannot meet.
    expect(
      await runCheck({
        check: 'latency',
        source: { type: 'requests', url: `${receiver.url}/api`, requests: 3 },
        baselineMs: 0.001,
        maxIncreasePct: 0,
      }),
    ).toMatchObject({ status: 'failed' });
    expect(
      await runCheck({ check: 'latency', source: { type: 'requests', url: closedPort, requests: 2 }, maxMs: 100 }),
    ).toMatchObject({ status: 'unreadable' });
  });

  test('Prometheus histogram quantile (seconds) against a threshold; an error answer is unreadable', async () => {
    const prom = (query: string) => ({
      check: 'latency',
      source: { type: 'prometheus', url: prometheus.url, query },
      maxMs: 500,
    });
    expect(await runCheck(prom('fixture:latency-p95-fast'))).toMatchObject({ status: 'passed', observed: '123 ms' });
    expect(await runCheck(prom('fixture:latency-p95-slow'))).toMatchObject({ status: 'failed', observed: '1800 ms' });
    expect(await runCheck(prom('fixture:bad-data'))).toMatchObject({ status: 'unreadable' });
  });

  test('a latency check without maxMs or baselineMs is refused naming the field', () => {
    const parsed = checkInput.safeParse({ check: 'latency', source: { type: 'requests', url: 'http://x/' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['maxMs'], message: 'give maxMs or baselineMs' });
  });
});

describe('cloudwatchAlarms', () => {
  async function alarm(name: string, state: 'OK' | 'ALARM', tags: Record<string, string> = {}) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        MetricName: '5XXError',
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }),
    );
  }

  test('no alarm in ALARM for the prefix passes, one fails naming it, an unreachable API is unreadable', async () => {
    await alarm('payments-5xx', 'OK');
    await alarm('payments-latency', 'OK');
    await alarm('other-5xx', 'ALARM');
    expect(await runCheck({ check: 'cloudwatchAlarms', namePrefix: 'payments-' })).toMatchObject({
      status: 'passed',
      observed: 'no alarm in ALARM',
    });
    await alarm('payments-latency', 'ALARM');
    expect(await runCheck({ check: 'cloudwatchAlarms', namePrefix: 'payments-' })).toMatchObject({
      status: 'failed',
      observed: '1 in ALARM: payments-latency',
    });
    const offline = createCheckActivities({
      cloudwatch: new CloudWatchClient({ endpoint: closedPort, region: 'us-east-1', maxAttempts: 1 }),
      route53,
      kube: () => {
        throw new Error('none');
      },
    });
    const r = await runActivity(
      offline.runVerificationCheck,
      checkInput.parse({ check: 'cloudwatchAlarms', namePrefix: 'payments-' }),
    );
    expect(r).toMatchObject({ status: 'unreadable', passed: false });
  });

  test('by tags: only the service-tagged alarms count', async () => {
    await alarm('tagged-a', 'ALARM', { service: 'search' });
    await alarm('tagged-b', 'OK', { service: 'cart' });
    expect(await runCheck({ check: 'cloudwatchAlarms', tags: { service: 'cart' } })).toMatchObject({
      status: 'passed',
    });
    expect(await runCheck({ check: 'cloudwatchAlarms', tags: { service: 'search' } })).toMatchObject({
      status: 'failed',
    });
  });

  test('neither a prefix nor tags is refused: every alarm of the account is not one service', () => {
    expect(checkInput.safeParse({ check: 'cloudwatchAlarms' }).success).toBe(false);
  });
});

describe('databaseIntegrity', () => {
  const db = (extra: Record<string, unknown> = {}) => ({
    check: 'databaseIntegrity',
    host: pgServer.host,
    port: pgServer.port,
    database: 'orders',
    user: pgServer.user,
    passwordEnv: 'ORDERS_DB_PASSWORD',
    ...extra,
  });

  test("the runbook's three queries pass on a seeded database; the password never appears", async () => {
    const r = await runCheck(db({ schemaVersion: '20261115000000' }));
    expect(r).toMatchObject({ status: 'passed', target: `database "orders" at ${pgServer.host}:${pgServer.port}` });
    expect(r.observed).toContain('row count: 42');
    expect(r.observed).toContain('schema version: 20261115000000');
    expect(JSON.stringify(r)).not.toContain(pgServer.password);
  });

  test('a wrong schema version, a stale newest row or a given query failing fails, naming it', async () => {
    const r = await runCheck(db({ schemaVersion: '20261201000000', maxAgeMinutes: 60 }));
    expect(r.status).toBe('failed');
    expect(r.detail).toContain('schema version: expected = 20261201000000');
    expect(r.detail).toContain('newest created_at');
    const q = await runCheck(
      db({ runbookQueries: false, queries: [{ name: 'orders today', sql: 'SELECT 0', expect: { min: 1 } }] }),
    );
    expect(q).toMatchObject({ status: 'failed', observed: 'orders today: 0' });
  });

  test('a write is refused by the read-only transaction; no server or no password variable is unreadable', async () => {
    const write = await runCheck(
      db({ runbookQueries: false, queries: [{ name: 'sneaky', sql: 'DELETE FROM critical_table' }] }),
    );
    expect(write.status).toBe('unreadable');
    expect(write.detail).toContain('read-only transaction');
    expect((await pgServer.query('SELECT COUNT(*)::int AS n FROM critical_table', 'orders')).rows[0].n).toBe(42);
    expect(await runCheck(db({ port: 1 }))).toMatchObject({ status: 'unreadable', passed: false });
    const noEnv = await runCheck(db({ passwordEnv: 'MISSING_PASSWORD' }));
    expect(noEnv).toMatchObject({ status: 'unreadable' });
    expect(noEnv.detail).toContain('MISSING_PASSWORD');
  });
});

describe('replicationLag', () => {
  const putLag = (replica: string, seconds: number) =>
    cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/RDS',
        MetricData: [
          {
            MetricName: 'ReplicaLag',
            Dimensions: [{ Name: 'DBInstanceIdentifier', Value: replica }],
            Value: seconds,
            Unit: 'Seconds',
            Timestamp: new Date(),
          },
        ],
      }),
    );

  test('every replica under the maximum passes, one over fails, a replica without datapoints is unreadable', async () => {
    await putLag('orders-replica-1', 2);
    await putLag('orders-replica-2', 4);
    await putLag('orders-replica-3', 95);
    expect(
      await runCheck({ check: 'replicationLag', replicas: ['orders-replica-1', 'orders-replica-2'], maxSeconds: 30 }),
    ).toMatchObject({ status: 'passed', observed: 'orders-replica-1 2 s, orders-replica-2 4 s', value: 4 });
    expect(
      await runCheck({ check: 'replicationLag', replicas: ['orders-replica-1', 'orders-replica-3'], maxSeconds: 30 }),
    ).toMatchObject({ status: 'failed', value: 95 });
    expect(
      await runCheck({ check: 'replicationLag', replicas: ['orders-replica-1', 'orders-replica-9'] }),
    ).toMatchObject({ status: 'unreadable', observed: 'orders-replica-1 2 s, orders-replica-9 no datapoint' });
  });
});

describe('dnsRecord', () => {
  let zoneId: string;
  beforeAll(async () => {
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: 'checks.example.com', CallerReference: `checks-${Date.now()}` }),
    );
    zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'api.checks.example.com',
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '192.0.2.10' }],
              },
            },
          ],
        },
      }),
    );
  });

  const dns = (extra: Record<string, unknown>) => ({
    check: 'dnsRecord',
    hostedZoneId: zoneId,
    name: 'api.checks.example.com',
    type: 'A',
    values: ['192.0.2.10'],
    previousTtlSeconds: 300,
    ...extra,
  });

  test('restored values with the old TTL passed pass; TTL not yet passed or other values fail; no zone is unreadable', async () => {
    const longAgo = new Date(Date.now() - 3600_000).toISOString();
    expect(await runCheck(dns({ changedAt: longAgo }))).toMatchObject({
      status: 'passed',
      observed: '192.0.2.10 (TTL 60)',
    });
    const justNow = await runCheck(dns({ changedAt: new Date().toISOString() }));
    expect(justNow.status).toBe('failed');
    expect(justNow.detail).toMatch(/still cache the old answer for \d+ s/);
    expect(await runCheck(dns({ changedAt: longAgo, values: ['192.0.2.99'] }))).toMatchObject({ status: 'failed' });
    expect(await runCheck(dns({ changedAt: longAgo, hostedZoneId: 'ZNOSUCHZONE' }))).toMatchObject({
      status: 'unreadable',
    });
  });
});

describe('terraformPlanClean', () => {
  // Pass, fail and the other unreadable cases with real OpenTofu: test/terraform/planCleanCheck.test.ts.
  test('a working directory that does not exist is unreadable: never passed', async () => {
    const r = await runCheck({ check: 'terraformPlanClean', workingDirectory: 'infra/app' });
    expect(r).toMatchObject({ status: 'unreadable', passed: false, observed: 'no working directory' });
    expect(r.detail).toBe(`${path.resolve('infra/app')} does not exist or is not a directory`);
  });
});

test('an unknown check names the known ones', () => {
  const parsed = checkInput.safeParse({ check: 'vibes' });
  expect(parsed.success).toBe(false);
  expect(parsed.error?.issues[0]?.message).toContain('must be one of httpHealth, errorRate');
});
