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

/** `temporal workflow start` of one workflow type with its JSON input. */
function workflowStartArgs(
  options: Omit<DemoCommandOptions, 'temporalBin'>,
  type: string,
  workflowId: string,
  input: unknown,
): string[] {
  return [
    'workflow',
    'start',
    '--address',
    options.address,
    '--type',
    type,
    '--task-queue',
    options.taskQueue,
    '--workflow-id',
    workflowId,
    '--input',
    JSON.stringify(input),
  ];
}

/** The ready-to-paste `temporal workflow start` that rolls the demo alias back one version. */
export function demoRollbackArgs(options: Omit<DemoCommandOptions, 'temporalBin'>): string[] {
  return workflowStartArgs(options, 'lambdaAliasRollback', DEMO_WORKFLOW_ID, {
    functionName: DEMO_LAMBDA.functionName,
    alias: DEMO_LAMBDA.alias,
    reason: 'demo: checkout errors after release 3',
    requestedBy: 'on-call',
  });
}

function shellCommand(temporalBin: string, args: string[]): string {
  return [temporalBin, ...args].map((a) => (/^[\w./:=-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}

export function demoRollbackCommand(options: DemoCommandOptions): string {
  return shellCommand(options.temporalBin, demoRollbackArgs(options));
}

export const DEMO_INCIDENT_ID = 'rollback-production-checkout-api';

/** A P1 incident (errors above 5%) that rolls the demo Lambda back once someone confirms. */
export function demoIncidentArgs(options: Omit<DemoCommandOptions, 'temporalBin'>): string[] {
  return workflowStartArgs(options, 'incidentRollback', DEMO_INCIDENT_ID, {
    service: DEMO_LAMBDA.functionName,
    environment: 'production',
    errorRatePct: 12,
    procedures: [{ type: 'lambdaAliasRollback', input: { functionName: DEMO_LAMBDA.functionName } }],
    reason: 'demo: checkout errors after release 3',
    requestedBy: 'on-call',
    incidentCommander: 'on-call',
  });
}

/** Start the P1 incident, read its status, confirm it: the three commands of the incident demo. */
export function demoIncidentCommands(options: DemoCommandOptions): string[] {
  const at = ['--address', options.address, '--workflow-id', DEMO_INCIDENT_ID];
  return [
    shellCommand(options.temporalBin, demoIncidentArgs(options)),
    shellCommand(options.temporalBin, ['workflow', 'query', ...at, '--name', 'status']),
    shellCommand(options.temporalBin, [
      'workflow',
      'signal',
      ...at,
      '--name',
      'confirm',
      '--input',
      JSON.stringify({ by: 'on-call' }),
    ]),
  ];
}
