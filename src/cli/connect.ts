// The CLI connects as the worker does (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key from the
// environment, src/config/env.ts); `--address`, `--namespace` and `--task-queue` override.
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type AppConfig } from '../config/env.js';
import { connectClient } from '../temporal/connection.js';
import { UsageError } from './errors.js';

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export function cliConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): AppConfig {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    ...config,
    temporal: {
      ...config.temporal,
      address: flags.address ?? config.temporal.address,
      namespace: flags.namespace ?? config.temporal.namespace,
      taskQueue: flags.taskQueue ?? config.temporal.taskQueue,
    },
  };
}

export async function connect(config: AppConfig): Promise<Client> {
  try {
    return await connectClient(config);
  } catch (error) {
    // An unreadable certificate file is the user's input, not an unreachable server.
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (TEMPORAL_ADDRESS or --address): ${(error as Error).message}`,
    );
  }
}
