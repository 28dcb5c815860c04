// What the local demo seeds and the commands it prints, shared by `npm start` and its test.

export const DEMO_LAMBDA = { functionName: 'checkout-api', alias: 'production', versionCount: 3 };
export const DEMO_WORKFLOW_ID = 'demo-lambda-rollback';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface DemoCommandOptions {
  temporalBin: string;
  address: string;
  taskQueue: string;
}

/** The ready-to-paste `temporal workflow start` that rolls the demo alias back one version. */
export function demoRollbackArgs(options: Omit<DemoCommandOptions, 'temporalBin'>): string[] {
  return [
    'workflow',
    'start',
    '--address',
    options.address,
    '--type',
    'lambdaAliasRollback',
    '--task-queue',
    options.taskQueue,
    '--workflow-id',
    DEMO_WORKFLOW_ID,
    '--input',
    JSON.stringify({
      functionName: DEMO_LAMBDA.functionName,
      alias: DEMO_LAMBDA.alias,
      reason: 'demo: checkout errors after release 3',
      requestedBy: 'on-call',
    }),
  ];
}

export function demoRollbackCommand(options: DemoCommandOptions): string {
  return [options.temporalBin, ...demoRollbackArgs(options)]
    .map((a) => (/^[\w./:=-]+$/.test(a) ? a : shellQuote(a)))
    .join(' ');
}
