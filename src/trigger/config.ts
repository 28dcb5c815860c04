// The trigger's configuration from environment variables, validated at start by name.
import { z } from 'zod';
import { parseEnv } from '../config/env.js';
import { commaList } from '../config/commaList.js';

const seconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

const triggerEnv = z.object({
  TRIGGER_HOST: z.string().min(1).default('127.0.0.1'),
  TRIGGER_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  TRIGGER_TOKENS: commaList,
  PAGERDUTY_WEBHOOK_SECRETS: commaList,
  PAGERDUTY_MAX_AGE_SECONDS: seconds(3600),
  SNS_TOPIC_ARNS: commaList,
  SNS_CERT_CACHE_DIR: z.string().min(1).default('.data/sns-certs'),
  SNS_MAX_AGE_SECONDS: seconds(3600),
  TRIGGER_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  TRIGGER_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export interface TriggerConfig {
  host: string;
  port: number;
  /** Bearer tokens of `/v1/alerts/alertmanager` and `/v1/incidents`. */
  tokens: string[];
  pagerDutySecrets: string[];
  /** 0: no age check (replays are still refused by event id while remembered). */
  pagerDutyMaxAgeSeconds: number;
  snsTopicArns: string[];
  snsCertCacheDir: string;
  snsMaxAgeSeconds: number;
  /** Requests a minute per source; 0 turns the limit off. */
  rateLimitPerMinute: number;
  temporalTimeoutMs: number;
}

export function loadTriggerConfig(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  const e = parseEnv(triggerEnv, env);
  return {
    host: e.TRIGGER_HOST,
    port: e.TRIGGER_PORT,
    tokens: e.TRIGGER_TOKENS,
    pagerDutySecrets: e.PAGERDUTY_WEBHOOK_SECRETS,
    pagerDutyMaxAgeSeconds: e.PAGERDUTY_MAX_AGE_SECONDS,
    snsTopicArns: e.SNS_TOPIC_ARNS,
    snsCertCacheDir: e.SNS_CERT_CACHE_DIR,
    snsMaxAgeSeconds: e.SNS_MAX_AGE_SECONDS,
    rateLimitPerMinute: e.TRIGGER_RATE_LIMIT_PER_MINUTE,
    temporalTimeoutMs: e.TRIGGER_TEMPORAL_TIMEOUT_MS,
  };
}
