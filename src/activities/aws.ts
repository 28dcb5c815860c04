// AWS SDK client settings from configuration: region, an optional endpoint (moto in tests and
// the demo), and credentials from the SDK's default chain.
import type { AppConfig } from '../config/env.js';

export function awsClientConfig(config: AppConfig): { region: string; endpoint?: string; maxAttempts: number } {
  // Temporal retries activities; the SDK's own retries stay short so a heartbeat or timeout
  // is not hidden behind a long internal retry loop.
  return { region: config.aws.region, endpoint: config.aws.endpoint, maxAttempts: 2 };
}
