// `npm run restore:watch -- <workflowId>`: follows a restore's progress through its `status`
// query, redrawing one line (a new line per change when the output is not a terminal), until the
// restore completes or fails. TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE as for the worker.
// `rollbackctl watch` does the same for any workflow; both use src/cli/follow.ts.
import { Client, Connection } from '@temporalio/client';
import { follow } from '../src/cli/follow.js';
import { dataConverterFromEnv } from '../src/codec/index.js';
import { describeRestoreStatus } from '../src/cli/render.js';
import type { RestoreStatus } from '../src/domain/restoreProgress.js';

async function main(): Promise<number> {
  const [workflowId, ...rest] = process.argv.slice(2);
  const once = rest.includes('--once');
  if (!workflowId || workflowId.startsWith('-')) {
    console.error('usage: npm run restore:watch -- <workflowId> [--once]');
    return 2;
  }
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const connection = await Connection.connect({ address }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${(error as Error).message}`);
  });
  // The worker encrypts query results when ROLLBACK_CODEC_KEYS is set: decode them with the same keys.
  const client = new Client({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    dataConverter: dataConverterFromEnv(),
  });
  const handle = client.workflow.getHandle(workflowId);
  try {
    return await follow(
      async () => {
        const status = await handle.query<RestoreStatus>('status').catch((error: unknown) => {
          throw new Error(`no restore "${workflowId}" to watch: ${(error as Error).message}`);
        });
        const failed = status.phase === 'failed';
        return {
          line: describeRestoreStatus(status),
          finished: failed || status.phase === 'completed',
          failed,
          failure: `restore failed: ${status.error ?? 'see the workflow in the Web UI'}`,
        };
      },
      { intervalMs: 1000, once },
    );
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
