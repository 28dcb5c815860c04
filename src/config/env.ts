// Process configuration from environment variables, validated once at start so a wrong value
// is reported by name instead of failing later inside a client.
import type { DataConverter } from '@temporalio/common';
import { z } from 'zod';
import { CodecKeyError, dataConverterFromEnv } from '../codec/index.js';
import { describeZodError } from '../domain/validation.js';
import { ChannelConfigError, loadChannels, type ChannelDirectory } from './channels.js';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('rollback'),
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  KUBECONFIG: z.string().optional(),
  HELM_BIN: z.string().min(1).default('helm'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  TERRAFORM_BIN: z.string().min(1).optional(),
  ATMOS_BIN: z.string().min(1).optional(),
});

export interface AppConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls?: { clientCertPath?: string; clientKeyPath?: string; caPath?: string; serverName?: string };
    apiKey?: string;
  };
  aws: { region: string; endpoint?: string };
  /** Unset: KUBECONFIG, ~/.kube/config or the in-cluster service account, as kubectl does. */
  kubernetes: { kubeconfigPath?: string };
  /** The helm CLI for helmReleaseRollback (HELM_BIN; default `helm` on PATH). */
  helm: { binary: string };
  logLevel: string;
  /** Notification channels by name (ROLLBACK_CHANNELS / ROLLBACK_CHANNELS_FILE). */
  channels: ChannelDirectory;
  /** Binaries of the Terraform procedures; unset: the OpenTofu and atmos `npm run tools` built. */
  terraform: { bin?: string; atmosBin?: string };
  /** `host:port` of the worker's Prometheus endpoint (the SDK's metrics), when WORKER_METRICS_PORT is set. */
  workerMetricsAddress?: string;
  /** Payload encryption (ROLLBACK_CODEC_KEYS / ROLLBACK_CODEC_KEY_FILE); unset: payloads are plain JSON. */
  dataConverter?: DataConverter;
}

export class ConfigError extends Error {}

/** The environment read through `schema`; a wrong value stops the process naming the variable. */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeZodError(parsed.error)}`);
  return parsed.data as z.output<S>;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = parseEnv(envSchema, env);
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    throw new ConfigError('invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  }
  let channels: ChannelDirectory;
  try {
    channels = loadChannels(env);
  } catch (error) {
    if (error instanceof ChannelConfigError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  let dataConverter: DataConverter | undefined;
  try {
    dataConverter = dataConverterFromEnv(env);
  } catch (error) {
    if (error instanceof CodecKeyError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  const useTls = e.TEMPORAL_TLS || Boolean(e.TEMPORAL_TLS_CERT) || Boolean(e.TEMPORAL_API_KEY);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: useTls
        ? {
            clientCertPath: e.TEMPORAL_TLS_CERT,
            clientKeyPath: e.TEMPORAL_TLS_KEY,
            caPath: e.TEMPORAL_TLS_CA,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
    },
    aws: { region: e.AWS_REGION, endpoint: e.AWS_ENDPOINT_URL },
    kubernetes: { kubeconfigPath: e.KUBECONFIG },
    helm: { binary: e.HELM_BIN },
    terraform: { bin: e.TERRAFORM_BIN, atmosBin: e.ATMOS_BIN },
    logLevel: e.LOG_LEVEL,
    channels,
    workerMetricsAddress:
      e.WORKER_METRICS_PORT === undefined ? undefined : `${e.WORKER_METRICS_HOST}:${e.WORKER_METRICS_PORT}`,
    dataConverter,
  };
}
