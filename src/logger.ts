import { pino, type Logger } from 'pino';

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'rollback-orchestrator'): Logger {
  return pino({ name, level });
}
