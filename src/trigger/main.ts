// Trigger entry point: `npm run trigger`. Reads the service catalog and the environment, connects
// to Temporal and serves HTTP on TRIGGER_HOST:TRIGGER_PORT until SIGINT or SIGTERM.
import { CatalogError, loadCatalog } from '../config/catalog.js';
import { ConfigError, loadConfig } from '../config/env.js';
import { createLogger } from '../logger.js';
import { connectClient } from '../temporal/connection.js';
import { loadTriggerConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { buildTrigger } from './server.js';
import { stopOnSignals } from '../http/lifecycle.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const triggerConfig = loadTriggerConfig();
  const catalog = loadCatalog();
  const logger = createLogger(config.logLevel, 'trigger');
  if (triggerConfig.tokens.length === 0) {
    logger.warn('TRIGGER_TOKENS is empty: /v1/alerts/alertmanager and /v1/incidents refuse every request');
  }
  const client = await connectClient(config);
  const app = buildTrigger({
    client,
    catalog,
    taskQueue: config.temporal.taskQueue,
    config: triggerConfig,
    logger,
    metrics: createMetrics({ defaultMetrics: true }),
  });
  const address = await app.listen({ host: triggerConfig.host, port: triggerConfig.port });
  logger.info(
    { address, services: catalog.services.length, taskQueue: config.temporal.taskQueue },
    'trigger listening',
  );
  stopOnSignals(app, logger, 'trigger', () => client.connection.close());
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CatalogError) console.error(error.message);
  else console.error('trigger failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
