// How the trigger and the codec server answer a request they refuse: a `Refused` answers its own
// status and headers with a one-line reason; any other 4xx (fastify's own: a body too large, bad
// JSON) keeps its status and message; anything else is a 500 that says nothing of the server's
// insides, logged with its stack.
import type { FastifyReply, FastifyRequest } from 'fastify';

export class Refused extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The answer to a failed request; `what` names the server in the log line ("trigger"). */
export function answerFailure(
  error: Error & { statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
  what: string,
): FastifyReply {
  if (error instanceof Refused)
    return reply.code(error.statusCode).headers(error.headers).send({ error: error.message });
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message });
  request.log.error({ err: error }, `${what} request failed`);
  return reply.code(500).send({ error: 'internal error' });
}
