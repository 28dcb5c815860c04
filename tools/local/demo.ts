// What the local demo seeds and the commands it prints, shared by `npm start` and its test.
import { incidentStaticSummary, procedureStaticSummary } from '../../src/domain/incident/summaries.js';
import type { ProcedureType } from '../../src/domain/procedures/registry.js';

export const DEMO_LAMBDA = { functionName: 'checkout-api', alias: 'production', versionCount: 3 };
export const DEMO_WORKFLOW_ID = 'demo-lambda-rollback';

/** The demo database: restores of it take DEMO_RESTORE_SECONDS (default two minutes). */
export const DEMO_RDS = { instanceId: 'orders-prod', targetInstanceId: 'orders-prod-restored' };
export const DEMO_RESTORE_WORKFLOW_ID = 'demo-rds-restore';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface DemoCommandOptions {
  temporalBin: string;
  address: string;
  taskQueue: string;
  /** With payload encryption on: the CLI encodes inputs and decodes results through this codec server. */
  codecEndpoint?: string;
}

type StartOptions = Omit<DemoCommandOptions, 'temporalBin'>;

const codecArgs = (options: StartOptions) =>
  options.codecEndpoint === undefined ? [] : ['--codec-endpoint', options.codecEndpoint];

/** `temporal workflow start` with a static summary: the Web UI's one line for the run. */
export function workflowStartArgs(
  options: StartOptions,
  type: string,
  workflowId: string,
  input: object,
  staticSummary: string,
): string[] {
  return [
    'workflow',
    'start',
    '--address',
    options.address,
    ...codecArgs(options),
    '--type',
    type,
    '--task-queue',
    options.taskQueue,
    '--workflow-id',
    workflowId,
    '--static-summary',
    staticSummary,
    '--input',
    JSON.stringify(input),
  ];
}

/** A procedure's demo start: its summary is its target, as rollbackctl gives it. */
export function procedureStartArgs(
  options: StartOptions,
  type: ProcedureType,
  workflowId: string,
  input: object,
): string[] {
  const summary = procedureStaticSummary({ type, input: input as Record<string, unknown> });
  return workflowStartArgs(options, type, workflowId, input, summary);
}

/** The ready-to-paste `temporal workflow start` that rolls the demo alias back one version. */
export function demoRollbackArgs(options: StartOptions): string[] {
  return procedureStartArgs(options, 'lambdaAliasRollback', DEMO_WORKFLOW_ID, {
    functionName: DEMO_LAMBDA.functionName,
    alias: DEMO_LAMBDA.alias,
    reason: 'demo: checkout errors after release 3',
    // The alert asks; a person confirms (the requester may not approve their own rollback).
    requestedBy: 'alertmanager',
  });
}

/** The ready-to-paste `temporal workflow start` of the demo snapshot restore. */
export function demoRestoreArgs(options: StartOptions): string[] {
  return procedureStartArgs(options, 'rdsSnapshotRestore', DEMO_RESTORE_WORKFLOW_ID, {
    sourceInstanceId: DEMO_RDS.instanceId,
    targetInstanceId: DEMO_RDS.targetInstanceId,
    reason: 'demo: bad data written by release 3',
    requestedBy: 'on-call',
  });
}

export function shellCommand(args: string[]): string {
  return args.map((a) => (/^[\w./:=-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}

export function demoRollbackCommand(options: DemoCommandOptions): string {
  return shellCommand([options.temporalBin, ...demoRollbackArgs(options)]);
}

export function demoRestoreCommand(options: DemoCommandOptions): string {
  return shellCommand([options.temporalBin, ...demoRestoreArgs(options)]);
}

export const DEMO_INCIDENT_ID = 'rollback-production-checkout-api';

/** A P1 incident (errors above 5%) that rolls the demo Lambda back once someone confirms. */
export function demoIncidentInput() {
  return {
    service: DEMO_LAMBDA.functionName,
    environment: 'production',
    errorRatePct: 12,
    procedures: [{ type: 'lambdaAliasRollback' as const, input: { functionName: DEMO_LAMBDA.functionName } }],
    reason: 'demo: checkout errors after release 3',
    // The alert asks; a person confirms (the requester may not approve their own rollback).
    requestedBy: 'alertmanager',
    incidentCommander: 'on-call',
  };
}

/** `temporal workflow start` of an incident, with the summary rollbackctl and the trigger give it. */
export function incidentStartArgs(
  options: StartOptions,
  workflowId: string,
  input: Parameters<typeof incidentStaticSummary>[0],
): string[] {
  return workflowStartArgs(options, 'incidentRollback', workflowId, input, incidentStaticSummary(input));
}

export function demoIncidentArgs(options: StartOptions): string[] {
  return incidentStartArgs(options, DEMO_INCIDENT_ID, demoIncidentInput());
}

/** Start the P1 incident, read its status, confirm it: the three commands of the incident demo. */
export function demoIncidentCommands(options: DemoCommandOptions): string[] {
  const at = ['--address', options.address, ...codecArgs(options), '--workflow-id', DEMO_INCIDENT_ID];
  return [
    shellCommand([options.temporalBin, ...demoIncidentArgs(options)]),
    shellCommand([options.temporalBin, 'workflow', 'query', ...at, '--name', 'status']),
    shellCommand([
      options.temporalBin,
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
