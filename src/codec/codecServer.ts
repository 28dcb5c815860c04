// The codec server: the Temporal Web UI and CLI send it the payloads they show (`POST /decode`)
// or send (`POST /encode`) as proto JSON, `{"payloads":[{"metadata":{"encoding":"<base64>"},
// "data":"<base64>"}]}`, and it answers in the same shape through the project's codec. The Web UI
// calls it from the browser, so it answers CORS preflights for the UI's origin with the headers the
// UI sends (Content-Type, X-Namespace, Authorization), credentials allowed.
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config/env.js';
import { describeZodError, jsonSyntaxError } from '../domain/validation.js';
import { bearerTokenValid } from '../trigger/auth.js';
import { commaList } from '../config/commaList.js';
import { answerFailure, Refused } from '../http/refusals.js';

/** A history page's payloads in one request: well above the trigger's 1 MiB. */
export const CODEC_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

const serverEnv = z.object({
  ROLLBACK_CODEC_HOST: z.string().min(1).default('127.0.0.1'),
  ROLLBACK_CODEC_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  ROLLBACK_CODEC_CORS_ORIGIN: commaList.transform((origins) =>
    origins.length > 0 ? origins : ['http://localhost:8233'],
  ),
  ROLLBACK_CODEC_TOKEN: z.string().optional(),
});

export interface CodecServerConfig {
  host: string;
  port: number;
  /** Origins of the Web UI allowed to call from a browser (comma-separated in the variable). */
  corsOrigins: string[];
  /** When set, /encode and /decode need `Authorization: Bearer <token>`. */
  token?: string;
}

export function loadCodecServerConfig(env: NodeJS.ProcessEnv = process.env): CodecServerConfig {
  const e = parseEnv(serverEnv, env);
  for (const origin of e.ROLLBACK_CODEC_CORS_ORIGIN) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        `invalid configuration: ROLLBACK_CODEC_CORS_ORIGIN: "${origin}" is not an origin (scheme://host[:port], no path)`,
      );
    }
  }
  return {
    host: e.ROLLBACK_CODEC_HOST,
    port: e.ROLLBACK_CODEC_PORT,
    corsOrigins: e.ROLLBACK_CODEC_CORS_ORIGIN,
    token: e.ROLLBACK_CODEC_TOKEN?.trim() || undefined,
  };
}

// Proto JSON bytes: standard or URL-safe base64, padding optional.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'not base64');
const jsonPayload = z.object({
  metadata: z.record(base64).nullish(),
  data: base64.nullish(),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload) });
type JsonPayload = z.infer<typeof jsonPayload>;

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  corsOrigins: string[];
  token?: string;
  logger?: Logger;
}

export function buildCodecServer(options: CodecServerOptions): FastifyInstance {
  const { codec, corsOrigins, token } = options;
  const app = Fastify({
    bodyLimit: CODEC_BODY_LIMIT_BYTES,
    loggerInstance: options.logger as FastifyBaseLogger | undefined,
    // Bodies are payloads: never log them; outcomes are logged below without them.
    logController: new LogController({ disableRequestLogging: true }),
  });

  // JSON errors are ours to word (without quoting the body back).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // CORS for the Web UI, which calls from the browser; other callers send no Origin.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && corsOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
    }
    reply.header('vary', 'Origin');
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    return answerFailure(error, request, reply, 'codec');
  });

  app.options('/*', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || !corsOrigins.includes(origin)) {
      throw new Refused(403, `origin ${origin ?? '(none)'} is not allowed (ROLLBACK_CODEC_CORS_ORIGIN)`);
    }
    return reply
      .code(204)
      .header('access-control-allow-methods', 'POST, GET, OPTIONS')
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .send();
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  function payloadsOf(request: FastifyRequest): Payload[] {
    if (token !== undefined && !bearerTokenValid(request.headers.authorization, [token])) {
      throw new Refused(401, 'missing or wrong bearer token (ROLLBACK_CODEC_TOKEN)', {
        'www-authenticate': 'Bearer',
      });
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' || typeof request.body !== 'string') {
      throw new Refused(415, 'Content-Type must be application/json');
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body, (key, value: unknown) => (key === '__proto__' ? undefined : value));
    } catch (error) {
      throw new Refused(400, `(body): not valid JSON (${jsonSyntaxError(error)})`);
    }
    const parsed = payloadsBody.safeParse(json);
    if (!parsed.success) throw new Refused(400, describeZodError(parsed.error));
    return parsed.data.payloads.map(fromJson);
  }

  for (const operation of ['encode', 'decode'] as const) {
    app.post(`/${operation}`, async (request) => {
      const payloads = payloadsOf(request);
      const namespace = request.headers['x-namespace'];
      let result: Payload[];
      try {
        result = await codec[operation](payloads);
      } catch (error) {
        // An unknown key id or an altered payload: the caller's data, not a server fault.
        request.log.warn({ namespace, operation, error: (error as Error).message }, 'codec refused payloads');
        throw new Refused(400, (error as Error).message);
      }
      request.log.debug({ namespace, operation, payloads: payloads.length }, 'codec request');
      return { payloads: result.map(toJson) };
    });
  }

  return app;
}
