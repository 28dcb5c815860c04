// Demo and test infrastructure: a Lambda function with N published versions and an alias on the
// newest, created in moto (or any account you point it at) through the real SDK.
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';

export interface AwsEndpoint {
  endpoint?: string;
  region: string;
}

/** A valid, empty zip archive: moto stores the code but never runs it here. */
const EMPTY_ZIP = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

async function ensureRole(aws: AwsEndpoint, roleName: string): Promise<string> {
  const iam = new IAMClient(aws);
  try {
    const existing = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    return existing.Role!.Arn!;
  } catch {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    return created.Role!.Arn!;
  }
}

export interface SeededFunction {
  functionName: string;
  alias: string;
  versions: string[];
}

/** Creates `functionName` with `versionCount` published versions and `alias` on the newest. */
export async function seedLambdaFunction(
  aws: AwsEndpoint,
  functionName: string,
  options: { versionCount?: number; alias?: string } = {},
): Promise<SeededFunction> {
  const versionCount = options.versionCount ?? 3;
  const alias = options.alias ?? 'production';
  const lambda = new LambdaClient(aws);
  const role = await ensureRole(aws, 'rollback-demo-lambda');
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'nodejs20.x',
      Role: role,
      Handler: 'index.handler',
      Code: { ZipFile: EMPTY_ZIP },
      Description: 'release 1',
    }),
  );
  const versions: string[] = [];
  for (let release = 1; release <= versionCount; release++) {
    if (release > 1) {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Description: `release ${release}` }),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: functionName });
    }
    const published = await lambda.send(
      new PublishVersionCommand({ FunctionName: functionName, Description: `release ${release}` }),
    );
    versions.push(published.Version!);
  }
  await lambda.send(
    new CreateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: versions[versions.length - 1] }),
  );
  await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  return { functionName, alias, versions };
}
