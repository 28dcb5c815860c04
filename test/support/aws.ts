import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsEndpoint } from '../../tools/demo/seedLambda.js';

/** Reads an alias straight from moto, to check end states without the code under test. */
export async function aliasVersion(moto: AwsEndpoint, functionName: string, alias = 'production'): Promise<string> {
  const client = new LambdaClient({ endpoint: moto.endpoint, region: moto.region });
  try {
    const out = await client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
    return out.FunctionVersion ?? '';
  } finally {
    client.destroy();
  }
}
