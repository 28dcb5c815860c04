// moto through the slow-RDS launcher (scripts/moto_launcher.py): restored instances take time.
import path from 'node:path';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { advanceSlowRds, configureSlowRds, type SlowRdsConfig } from '../../tools/local/slowRds.js';
import { startMoto, type MotoServer } from './moto.js';
import { repoRoot, toolPath } from './tools.js';

export interface SlowRds extends MotoServer {
  configure(config: SlowRdsConfig): Promise<void>;
  advance(seconds: number): Promise<void>;
  /** Every DB instance moto holds: id -> status, read without the code under test. */
  instances(): Promise<Map<string, string>>;
}

export async function startSlowRds(options: { env?: NodeJS.ProcessEnv } = {}): Promise<SlowRds> {
  const moto = await startMoto({
    command: [toolPath('python'), path.join(repoRoot, 'scripts', 'moto_launcher.py')],
    env: options.env,
  });
  return {
    ...moto,
    configure: (config) => configureSlowRds(moto.endpoint, config),
    advance: (seconds) => advanceSlowRds(moto.endpoint, seconds),
    async instances() {
      const rds = new RDSClient({ endpoint: moto.endpoint, region: moto.region });
      try {
        const out = await rds.send(new DescribeDBInstancesCommand({}));
        return new Map((out.DBInstances ?? []).map((d) => [d.DBInstanceIdentifier ?? '', d.DBInstanceStatus ?? '']));
      } finally {
        rds.destroy();
      }
    },
  };
}
