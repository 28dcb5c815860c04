// The HTTP trigger: alerting systems and people start or feed incidents over HTTP. Every request
// is checked in the same order -- media type, authentication, rate limit, JSON, schema, replay --
// and only then delivered to Temporal, so bad input never starts or signals anything.
import type { Client } from '@temporalio/client';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { ZodType, ZodTypeDef } from 'zod';
import type { Catalog } from '../config/catalog.js';
import { describeZodError, jsonSyntaxError } from '../domain/validation.js';
import { BadAlert, type Routed, type TriggerSource } from './alerts.js';
import { bearerTokenValid } from './auth.js';
import type { TriggerConfig } from './config.js';
import { alertCoalescer, dispatch, StartTracker, TemporalUnavailable, type Delivery } from './dispatch.js';
import { createMetrics, outcomeOf, type TriggerMetrics } from './metrics.js';
import { RateLimiter, ReplayGuard } from './rateLimit.js';
import { alertmanagerPayload, routeAlertmanager } from './sources/alertmanager.js';
import { pagerDutyPayload, pagerDutySignatureValid, routePagerDuty } from './sources/pagerduty.js';
import { plainIncidentRequest, routePlain } from './sources/plain.js';
import {
  CertificateUnavailable,
  isSnsUrl,
  routeCloudWatch,
  snsMessage,
  SnsRejected,
  verifySnsMessage,
} from './sources/sns.js';
import { answerFailure, Refused } from '../http/refusals.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Seconds Alertmanager, PagerDuty and SNS are asked to wait before retrying a 503. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

export interface TriggerOptions {
  client: Client;
  catalog: Catalog;
  taskQueue: string;
  config: TriggerConfig;
  logger?: Logger;
  metrics?: TriggerMetrics;
  /** Confirms an SNS subscription (default: GET of the allow-listed SubscribeURL). */
  confirmSubscription?: (url: string) => Promise<void>;
  /** Downloads an allow-listed SNS certificate missing from the cache (default: fetch). */
  fetchCertificate?: (url: string) => Promise<string>;
}

async function defaultConfirmSubscription(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`SubscribeURL answered ${response.status}`);
}

function parse<T>(schema: ZodType<T, ZodTypeDef, unknown>, raw: string): T {
  let json: unknown;
  try {
    // `__proto__` keys are dropped: record schemas would otherwise copy them onto new objects.
    json = JSON.parse(raw, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (error) {
    throw new BadAlert('(body)', `not valid JSON (${jsonSyntaxError(error)})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BadAlert('', describeZodError(parsed.error));
  return parsed.data;
}

export function buildTrigger(options: TriggerOptions): FastifyInstance {
  const { client, catalog, config } = options;
  const metrics = options.metrics ?? createMetrics();
  const limiter = new RateLimiter(config.rateLimitPerMinute);
  const snsReplays = new ReplayGuard(Math.max(config.snsMaxAgeSeconds, 3600) * 1000);
  const pagerDutyReplays = new ReplayGuard(Math.max(config.pagerDutyMaxAgeSeconds, 3600) * 1000);
  const tracker = new StartTracker();
  const coalescer = alertCoalescer(client, options.taskQueue, (alerts) => metrics.alertsPerCall.observe(alerts));
  const dispatchOptions = { taskQueue: options.taskQueue, timeoutMs: config.temporalTimeoutMs };

  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    // Alert storms would drown the log: outcomes are counted in /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
  });

  // Bodies arrive as text: signatures are over the raw bytes, and JSON errors are ours to word.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const sourceOf = (request: FastifyRequest) =>
    (request.routeOptions.config as { source?: TriggerSource } | undefined)?.source ?? 'other';

  app.addHook('onResponse', async (request, reply) => {
    const source = sourceOf(request);
    if (source === 'other') return;
    const code = reply.statusCode;
    metrics.requests.inc({ source, outcome: outcomeOf(code), code: String(code) });
    metrics.latency.observe({ source }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof BadAlert) return reply.code(400).send({ error: error.message });
    if (error instanceof TemporalUnavailable) {
      request.log.warn({ err: error.cause }, 'Temporal unavailable; asked the sender to retry');
      return reply
        .code(503)
        .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
        .send({ error: 'Temporal is unavailable; retry later' });
    }
    return answerFailure(error, request, reply, 'trigger');
  });

  /** The raw body of a JSON request (SNS also sends text/plain); 415 otherwise. */
  function rawBody(request: FastifyRequest, allowText = false): string {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const ok = type === 'application/json' || (allowText && type === 'text/plain');
    if (!ok || typeof request.body !== 'string') {
      throw new Refused(415, `Content-Type must be application/json${allowText ? ' or text/plain' : ''}`);
    }
    return request.body;
  }

  function requireBearer(request: FastifyRequest): void {
    if (!bearerTokenValid(request.headers.authorization, config.tokens)) {
      throw new Refused(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
    }
  }

  function rateLimit(source: TriggerSource): void {
    const wait = limiter.take(source);
    if (wait > 0)
      throw new Refused(429, `too many ${source} requests; retry in ${wait} s`, { 'retry-after': String(wait) });
  }

  async function deliver(source: TriggerSource, routed: Routed, reply: FastifyReply): Promise<FastifyReply> {
    const delivery: Delivery = await dispatch(client, routed, tracker, coalescer, dispatchOptions);
    for (const incident of delivery.incidents) {
      if (incident.started) metrics.incidentsStarted.inc({ source });
      metrics.incidentsSignalled.inc({ source, kind: 'alert' }, incident.alerts);
    }
    const resolved = delivery.resolved.filter((r) => r.signalled).length;
    if (resolved > 0) metrics.incidentsSignalled.inc({ source, kind: 'resolved' }, resolved);
    return reply.code(202).send(delivery);
  }

  /** A replay guard forgets an id whose delivery failed, so the sender's retry is accepted. */
  async function deliverOnce(
    guard: ReplayGuard,
    id: string,
    source: TriggerSource,
    routed: Routed,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    if (!guard.first(id)) throw new Refused(409, `${source} message ${id} was already delivered (replay)`);
    try {
      return await deliver(source, routed, reply);
    } catch (error) {
      guard.forget(id);
      throw error;
    }
  }

  function checkAge(field: string, iso: string, maxAgeSeconds: number): void {
    if (maxAgeSeconds === 0) return;
    const ageSeconds = (Date.now() - Date.parse(iso)) / 1000;
    if (ageSeconds > maxAgeSeconds) {
      throw new BadAlert(field, `${iso} is older than ${maxAgeSeconds} s (a replayed or stale message)`);
    }
  }

  app.post('/v1/alerts/alertmanager', { config: { source: 'alertmanager' } }, async (request, reply) => {
    const raw = rawBody(request);
    requireBearer(request);
    rateLimit('alertmanager');
    const payload = parse(alertmanagerPayload, raw);
    return deliver('alertmanager', routeAlertmanager(catalog, payload), reply);
  });

  app.post('/v1/incidents', { config: { source: 'incidents' } }, async (request, reply) => {
    const raw = rawBody(request);
    requireBearer(request);
    rateLimit('incidents');
    return deliver('incidents', routePlain(catalog, parse(plainIncidentRequest, raw)), reply);
  });

  app.get('/healthz', async () => ({ status: 'ok', services: catalog.services.length }));

  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.post('/v1/alerts/pagerduty', { config: { source: 'pagerduty' } }, async (request, reply) => {
    const raw = rawBody(request);
    const signature = request.headers['x-pagerduty-signature'];
    if (!pagerDutySignatureValid(raw, typeof signature === 'string' ? signature : undefined, config.pagerDutySecrets)) {
      throw new Refused(401, 'missing or wrong X-PagerDuty-Signature');
    }
    rateLimit('pagerduty');
    const payload = parse(pagerDutyPayload, raw);
    checkAge('event.occurred_at', payload.event.occurred_at, config.pagerDutyMaxAgeSeconds);
    return deliverOnce(pagerDutyReplays, payload.event.id, 'pagerduty', routePagerDuty(catalog, payload), reply);
  });

  app.post('/v1/alerts/sns', { config: { source: 'sns' } }, async (request, reply) => {
    const message = parse(snsMessage, rawBody(request, true));
    // Cheap checks first: an unknown topic or a stale message never makes the trigger fetch.
    if (!config.snsTopicArns.includes(message.TopicArn)) {
      // Quoted only when it is an ARN: anything else in the field may be a pasted secret.
      const arn = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(message.TopicArn);
      throw new Refused(403, `TopicArn: ${arn ? message.TopicArn : 'the given value'} is not in SNS_TOPIC_ARNS`);
    }
    checkAge('Timestamp', message.Timestamp, config.snsMaxAgeSeconds);
    try {
      await verifySnsMessage(message, {
        certCacheDir: config.snsCertCacheDir,
        fetchCertificate: options.fetchCertificate,
      });
    } catch (error) {
      if (error instanceof SnsRejected) throw new Refused(401, error.message);
      if (error instanceof CertificateUnavailable) {
        throw new Refused(503, error.message, { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
      }
      throw error;
    }
    rateLimit('sns');
    if (message.Type === 'Notification') {
      return deliverOnce(snsReplays, message.MessageId, 'sns', routeCloudWatch(catalog, message), reply);
    }
    if (message.Type === 'UnsubscribeConfirmation') return reply.code(200).send({ unsubscribed: message.TopicArn });
    if (!isSnsUrl(message.SubscribeURL)) {
      throw new BadAlert('SubscribeURL', 'not an https://sns.<region>.amazonaws.com/ URL; not confirmed');
    }
    try {
      await (options.confirmSubscription ?? defaultConfirmSubscription)(message.SubscribeURL);
    } catch (error) {
      throw new Refused(502, `could not confirm the subscription: ${(error as Error).message}`);
    }
    request.log.info({ topicArn: message.TopicArn }, 'SNS subscription confirmed');
    return reply.code(200).send({ confirmed: message.TopicArn });
  });

  return app;
}
