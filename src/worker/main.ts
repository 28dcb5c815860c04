// Worker entry point: `npm run worker`. Connects to TEMPORAL_ADDRESS and serves the task queue
// until SIGINT or SIGTERM.
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config/env.js';
import { createLogger } from '../logger.js';
import { connectWorker } from '../temporal/connection.js';
import { createRollbackWorker } from './createWorker.js';
import { PinoTemporalLogger } from './pinoTemporalLogger.js';
import { logMemoryEvery, memoryLogSeconds } from './memoryLog.js';
import { freshPrebuiltBundle } from './workflowBundle.js';
import { workerTuningFromEnv } from './workerTuning.js';
import { limitWorkflowThreadHeap, workflowHeapMiBFromEnv } from './workflowHeapLimit.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const tuning = workerTuningFromEnv();
  const memoryLog = memoryLogSeconds();
  const workflowHeapMiB = workflowHeapMiBFromEnv();
  const logger = createLogger(config.logLevel, 'worker');
  Runtime.install({
    logger: new PinoTemporalLogger(logger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      // The SDK's own metrics (task latencies, slots, polls) for Prometheus, at /metrics.
      ...(config.workerMetricsAddress ? { metrics: { prometheus: { bindAddress: config.workerMetricsAddress } } } : {}),
    },
  });
  // Start-up time (issue 13, goal 5): connecting waits on the network, the bundle check on the disk
  // and importing the activity modules on the CPU, so they run side by side.
  const [connection, prebuilt, { createActivities }] = await Promise.all([
    connectWorker(config),
    freshPrebuiltBundle(),
    import('../activities/index.js'),
  ]);
  const workflowThreadHeapMiB = limitWorkflowThreadHeap(workflowHeapMiB);
  const worker = await createRollbackWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities(config),
    dataConverter: config.dataConverter,
    tuning,
    ...(prebuilt ? { workflowBundle: { codePath: prebuilt } } : {}),
  });
  logger.info(
    {
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      metrics: config.workerMetricsAddress ? `http://${config.workerMetricsAddress}/metrics` : undefined,
      payloadEncryption: config.dataConverter ? 'on' : 'off',
      ...tuning,
      workflowThreadHeapMiB: workflowThreadHeapMiB ?? 'process limit',
    },
    'worker started',
  );
  const stopMemoryLog = logMemoryEvery(memoryLog, worker, logger);
  await worker.run();
  stopMemoryLog();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('worker failed:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
