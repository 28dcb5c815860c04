// 1,000+ generated bodies per trigger endpoint against the trigger whose client talks to a real
// dev server: well-signed bodies of a catalog service with one field broken, secrets and URLs in
// the free-text fields, wrong credentials, and bytes that are not JSON at all. Every answer is a
// 4xx (never a 5xx), none quotes a secret back, and afterwards the server holds no workflow.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildTrigger } from '../../src/trigger/server.js';
import { echoedSecret, FUZZ_RUNS, FUZZ_SEED, fuzzParameters, junk, secretLike } from '../support/fuzz.js';
import { startDevServer } from '../support/temporal.js';
import {
  alertmanagerBody,
  cloudWatchNotification,
  PAGERDUTY_SECRET,
  pagerDutyBody,
  pagerDutySignature,
  snsSigner,
  testCatalog,
  testTriggerConfig,
  TOKEN,
  workflowExists,
  type SnsSigner,
} from './support.js';

const SERVICE = 'fuzz-api';

let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let signer: SnsSigner;
let address: string;

beforeAll(async () => {
  env = await startDevServer();
  signer = snsSigner();
  app = buildTrigger({
    client: env.client,
    catalog: testCatalog([SERVICE]),
    // No worker polls this queue: whatever is started stays visible to the final count.
    taskQueue: `fuzz-${randomUUID()}`,
    config: testTriggerConfig(signer.certCacheDir),
    confirmSubscription: async () => {
      throw new Error('the fuzz never confirms a subscription');
    },
    fetchCertificate: async () => {
      throw new Error('no network in tests');
    },
  });
  // A real port: fastify's inject needs an ESM-only `cookie` that jest's VM modules cannot require.
  address = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await env?.teardown();
});

type Body = Record<string, unknown>;
/** Breaks one field of a valid body so that the request must be refused. */
type Breaker = (body: Body) => void;

/** Sets (or, for `undefined`, deletes) the value at a dotted path. */
function setAt(body: Body, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: Record<string, unknown> = body;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
const notObject = fc.oneof(secretLike, fc.integer(), fc.boolean(), fc.constant(null), fc.constant([1]));
const missing = fc.constant(undefined);

/** A breaker that puts one of `values` at `path`. */
const breakAt = (path: string, ...values: fc.Arbitrary<unknown>[]): fc.Arbitrary<Breaker> =>
  fc.oneof(...values).map((value) => (body: Body) => setAt(body, path, value));

/** Fills free-text fields (valid anywhere) with secrets and URLs. */
const secretsIn = (...paths: string[]): fc.Arbitrary<Breaker> =>
  fc.tuple(...paths.map(() => fc.option(secretLike))).map((values) => (body: Body) => {
    values.forEach((value, i) => value !== null && setAt(body, paths[i]!, value));
  });

/** Bytes that are not one of the formats: text, secrets, other JSON, a valid body cut short. */
const garbage = (valid: () => Body): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string(),
    secretLike,
    junk.map((v) => JSON.stringify(v) ?? ''),
    fc.nat().map((n) => {
      const raw = JSON.stringify(valid());
      return raw.slice(0, n % raw.length);
    }),
  );

interface Sent {
  url: string;
  payload: string;
  headers: Record<string, string>;
}

async function answerOf({ url, payload, headers }: Sent) {
  const response = await fetch(`${address}${url}`, {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { statusCode: response.status, text: await response.text() };
}

let sent = 0;
/** The property every request must hold: a 4xx that quotes nothing secret back. */
async function refusedWithoutEcho(request: Sent): Promise<void> {
  sent += 1;
  const { statusCode, text } = await answerOf(request);
  if (statusCode < 400 || statusCode >= 500) {
    throw new Error(`answered ${statusCode} ${text} to ${request.url} ${request.payload.slice(0, 500)}`);
  }
  const secret = echoedSecret(text);
  if (secret) throw new Error(`answered ${statusCode} quoting ${secret}: ${text}`);
}

/** A JSON body broken by `breakers` and filled with secrets, or garbage, or the right body with bad credentials. */
function requests(
  valid: () => Body,
  breakers: fc.Arbitrary<Breaker>[],
  fill: fc.Arbitrary<Breaker>,
  credentials: (raw: string) => Record<string, string>,
  badCredentials: fc.Arbitrary<Record<string, string>>,
): fc.Arbitrary<{ payload: string; headers: Record<string, string> }> {
  const broken = fc.tuple(fc.oneof(...breakers), fill).map(([breaker, filler]) => {
    const body = valid();
    filler(body);
    breaker(body);
    const payload = JSON.stringify(body);
    return { payload, headers: credentials(payload) };
  });
  const notJson = garbage(valid).map((payload) => ({ payload, headers: credentials(payload) }));
  const forged = fc.tuple(fill, badCredentials).map(([filler, headers]) => {
    const body = valid();
    filler(body);
    return { payload: JSON.stringify(body), headers };
  });
  return fc.oneof(
    { weight: 6, arbitrary: broken },
    { weight: 2, arbitrary: notJson },
    { weight: 1, arbitrary: forged },
  );
}

const bearer = () => ({ authorization: `Bearer ${TOKEN}` });
/** A header value can hold no control characters. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, ' ');
const badBearer = fc.oneof(
  fc.constant({}),
  secretLike.map((s) => ({ authorization: `Bearer ${headerSafe(s)}` })),
  fc.string().map((s) => ({ authorization: headerSafe(s) })),
);

const ENDPOINTS: { url: string; arbitrary: fc.Arbitrary<{ payload: string; headers: Record<string, string> }> }[] = [
  {
    url: '/v1/alerts/alertmanager',
    arbitrary: requests(
      () =>
        alertmanagerBody([{ labels: { service: SERVICE, severity: 'critical' }, annotations: { summary: 'errors' } }]),
      [
        breakAt('version', missing, secretLike, notString, fc.constant('3')),
        breakAt('status', missing, secretLike, notString),
        breakAt('alerts', missing, notObject),
        breakAt('alerts.0', notObject),
        breakAt('alerts.0.status', missing, secretLike, notString),
        breakAt('alerts.0.labels', notObject),
        breakAt('alerts.0.labels.severity', notString),
        breakAt('truncatedAlerts', fc.constant(-1), fc.constant(1.5), secretLike),
        breakAt('groupLabels', secretLike),
        breakAt('commonAnnotations', fc.constant({ summary: 1 })),
      ],
      secretsIn('alerts.0.annotations.summary', 'alerts.0.generatorURL', 'externalURL', 'receiver', 'groupKey'),
      bearer,
      badBearer,
    ),
  },
  {
    url: '/v1/incidents',
    arbitrary: requests(
      () => ({
        service: SERVICE,
        environment: 'production',
        severity: 'P0',
        reason: 'errors',
        requestedBy: 'alice',
      }),
      [
        breakAt('service', missing, notString, secretLike, fc.constant('')),
        breakAt('severity', secretLike, notString),
        breakAt('environment', notString, fc.constant('')),
        breakAt('reason', missing, notString, fc.constant(' ')),
        breakAt('requestedBy', missing, notString),
        breakAt('detectedAt', secretLike, notString),
        breakAt('errorRatePct', fc.constant(-1), secretLike),
        breakAt('outage', secretLike),
        breakAt('procedures', fc.constant([]), secretLike, fc.constant([{ type: 'lambdaAliasRollback' }])),
        breakAt(
          'procedures',
          secretLike.map((type) => [{ type, input: { functionName: SERVICE } }]),
        ),
        fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), secretLike).map(([key, value]) => (body: Body) => {
          if (!(key in body)) body[key] = value;
          else body.severity = value;
        }),
      ],
      secretsIn('reason', 'requestedBy'),
      bearer,
      badBearer,
    ),
  },
  {
    url: '/v1/alerts/pagerduty',
    arbitrary: requests(
      () => pagerDutyBody(SERVICE, 'incident.triggered') as unknown as Body,
      [
        breakAt('event', missing, notObject),
        breakAt('event.id', missing, notString, fc.constant('')),
        breakAt('event.event_type', missing, notString, fc.constant('')),
        breakAt('event.occurred_at', missing, secretLike, notString, fc.constant('2020-01-01T00:00:00Z')),
        breakAt('event.data', missing, notObject),
        breakAt('event.data.service', secretLike),
        breakAt('event.data.title', notString),
      ],
      secretsIn('event.data.title', 'event.data.html_url', 'event.data.self', 'event.agent.summary'),
      (raw) => ({ 'x-pagerduty-signature': pagerDutySignature(raw, PAGERDUTY_SECRET) }),
      fc.oneof(
        fc.constant({}),
        secretLike.map((s) => ({ 'x-pagerduty-signature': `v1=${headerSafe(s)}` })),
        fc.string().map((s) => ({ 'x-pagerduty-signature': pagerDutySignature(s, PAGERDUTY_SECRET) })),
      ),
    ),
  },
];

/**
 * SNS: the body is the signed message, so breakers run before signing (and sometimes after). Only
 * the envelope is broken: a Message that is not an alarm is acknowledged (202, "ignored") so that
 * SNS does not retry it, by design.
 */
function snsRequests(): fc.Arbitrary<{ payload: string; headers: Record<string, string> }> {
  const breakers = [
    breakAt('Type', missing, secretLike, notString),
    breakAt('MessageId', missing, fc.constant('')),
    breakAt('TopicArn', missing, secretLike, fc.constant('')),
    breakAt('Timestamp', missing, secretLike, fc.constant('2020-01-01T00:00:00.000Z')),
  ];
  const afterSigning = [
    breakAt('SignatureVersion', secretLike, fc.constant('3')),
    breakAt('SigningCertURL', secretLike, fc.constant('https://sns.us-east-1.amazonaws.com.evil.example/x.pem')),
    breakAt('Signature', secretLike, fc.constant('')),
    breakAt('Subject', secretLike),
  ];
  const signed = fc
    .tuple(fc.oneof(...breakers), fc.option(fc.oneof(...afterSigning), { freq: 3 }), secretsIn('Subject'))
    .map(([breaker, tamper, fill]) => {
      const body = cloudWatchNotification(`${SERVICE}-errors`, 'ALARM') as unknown as Body;
      fill(body);
      breaker(body);
      let message: Body;
      try {
        message = signer.sign(body as never) as unknown as Body;
      } catch {
        message = { ...body, SignatureVersion: '2', Signature: 'x' };
      }
      tamper?.(message);
      return { payload: JSON.stringify(message), headers: {} };
    });
  const notJson = garbage(() => cloudWatchNotification(SERVICE, 'ALARM')).map((payload) => ({ payload, headers: {} }));
  return fc.oneof({ weight: 4, arbitrary: signed }, { weight: 1, arbitrary: notJson });
}
ENDPOINTS.push({ url: '/v1/alerts/sns', arbitrary: snsRequests() });

test.each(ENDPOINTS.map((e) => [e.url, e] as const))(
  `%s: ${FUZZ_RUNS} generated bodies each answer 4xx and quote nothing back (seed ${FUZZ_SEED})`,
  async (url, { arbitrary }) => {
    const before = sent;
    await fc.assert(
      fc.asyncProperty(arbitrary, (request) => refusedWithoutEcho({ url, ...request })),
      fuzzParameters(),
    );
    expect(sent - before).toBeGreaterThanOrEqual(FUZZ_RUNS);
  },
);

test('after every generated body, the server holds no workflow at all', async () => {
  expect(sent).toBeGreaterThanOrEqual(4 * FUZZ_RUNS);
  for (const environment of ['production', 'staging']) {
    expect(await workflowExists(env, `rollback-${environment}-${SERVICE}`)).toBe(false);
  }
  // Visibility lags a little behind starts: give anything started the time to show up.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect((await env.client.workflow.count()).count).toBe(0);
});
