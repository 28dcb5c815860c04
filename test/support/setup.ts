// Per-test-file setup: quiet Temporal logs, and dummy AWS credentials for moto through the
// SDK's default credential chain.
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';

process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
process.env.AWS_REGION ??= 'us-east-1';
// The SDK's notice that releases after January 2027 need Node 22 (see README, "Node 20 and the AWS SDK").
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// TEST_TEMPORAL_LOG=WARN (or DEBUG) shows the worker's and sdk-core's own logs when a test stalls.
const level = (process.env.TEST_TEMPORAL_LOG ?? 'ERROR') as 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
try {
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }) } },
  });
} catch {
  // Already installed in this process by an earlier test file.
}
