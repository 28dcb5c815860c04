// A server process stops on SIGINT or SIGTERM by closing its listener (in-flight requests finish),
// then whatever else it holds, and exits 0.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export function stopOnSignals(app: FastifyInstance, logger: Logger, what: string, after?: () => Promise<void>): void {
  const stop = async () => {
    await app.close();
    await after?.();
    logger.info(`${what} stopped`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
