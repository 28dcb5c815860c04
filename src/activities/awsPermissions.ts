// The IAM actions behind every AWS SDK command the activities send. deploy/aws/iam-policy.json
// grants exactly these (test/unit/permissions.test.ts keeps the imports, this table and the policy
// in step), and a denied call names its action from here, whatever the error body says.

export interface AwsServicePermissions {
  /** The SDK client's class name, as the SDK reports it in a middleware context. */
  client: string;
  /** SDK command class -> the IAM actions it needs (the first is the command's own). */
  commands: Record<string, readonly string[]>;
}

/** By SDK package, as the activities import them. */
export const AWS_PERMISSIONS: Record<string, AwsServicePermissions> = {
  '@aws-sdk/client-cloudwatch': {
    client: 'CloudWatchClient',
    commands: {
      DescribeAlarmsCommand: ['cloudwatch:DescribeAlarms'],
      ListTagsForResourceCommand: ['cloudwatch:ListTagsForResource'],
      GetMetricDataCommand: ['cloudwatch:GetMetricData'],
    },
  },
  '@aws-sdk/client-lambda': {
    client: 'LambdaClient',
    commands: {
      GetAliasCommand: ['lambda:GetAlias'],
      ListVersionsByFunctionCommand: ['lambda:ListVersionsByFunction'],
      // GetFunction returns the tags (the rollback marks) only to a caller also allowed lambda:ListTags.
      GetFunctionCommand: ['lambda:GetFunction', 'lambda:ListTags'],
      TagResourceCommand: ['lambda:TagResource'],
      UpdateAliasCommand: ['lambda:UpdateAlias'],
    },
  },
  '@aws-sdk/client-rds': {
    client: 'RDSClient',
    commands: {
      DescribeDBInstancesCommand: ['rds:DescribeDBInstances'],
      DescribeDBSnapshotsCommand: ['rds:DescribeDBSnapshots'],
      DescribeDBInstanceAutomatedBackupsCommand: ['rds:DescribeDBInstanceAutomatedBackups'],
      // Restores tag the new instance with its source (how a retry adopts it): tagging on create.
      RestoreDBInstanceFromDBSnapshotCommand: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource'],
      RestoreDBInstanceToPointInTimeCommand: ['rds:RestoreDBInstanceToPointInTime', 'rds:AddTagsToResource'],
    },
  },
  '@aws-sdk/client-route-53': {
    client: 'Route53Client',
    commands: {
      ListResourceRecordSetsCommand: ['route53:ListResourceRecordSets'],
      ChangeResourceRecordSetsCommand: ['route53:ChangeResourceRecordSets'],
      GetChangeCommand: ['route53:GetChange'],
    },
  },
  '@aws-sdk/client-secrets-manager': {
    client: 'SecretsManagerClient',
    commands: {
      DescribeSecretCommand: ['secretsmanager:DescribeSecret'],
      GetSecretValueCommand: ['secretsmanager:GetSecretValue'],
    },
  },
};

/** The IAM actions of one command, or undefined for a command missing from the table. */
export function iamActionsOf(client: string, command: string): readonly string[] | undefined {
  return Object.values(AWS_PERMISSIONS).find((s) => s.client === client)?.commands[command];
}

/** Set by withIamActionNames on a 403: the actions the denied command needs. */
export const IAM_ACTIONS = Symbol('iamActions');

interface MiddlewareContext {
  clientName?: string;
  commandName?: string;
}
type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareStack {
  add(
    middleware: (next: Handler, context: MiddlewareContext) => Handler,
    options: { step: 'initialize'; name: string; override: boolean },
  ): void;
}

/**
 * Makes every 403 of `client` carry the IAM actions of the command that got it, so the failure
 * can name them even when the body is not the service's own error shape (moto answers JSON
 * services in XML) or says nothing useful.
 */
export function withIamActionNames<C extends { middlewareStack: object }>(client: C): C {
  // Every SDK client's stack takes an initialize-step middleware; only the parts used here are typed.
  (client.middlewareStack as MiddlewareStack).add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
        const actions = iamActionsOf(context.clientName ?? '', context.commandName ?? '');
        if (status === 403 && actions && error !== null && typeof error === 'object') {
          Object.defineProperty(error, IAM_ACTIONS, { value: actions, enumerable: false });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'iamActionNames', override: true },
  );
  return client;
}
