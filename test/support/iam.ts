// moto with IAM enforcement on (INITIAL_NO_AUTH_ACTION_COUNT): the first calls make an admin
// user, then every request must be signed by a known access key whose policies allow its action.
// Users holding exactly deploy/aws/iam-policy.json (or a copy without one action) are made here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { startSlowRds, type SlowRds } from './slowRds.js';
import { repoRoot } from './tools.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What an SDK client needs to reach this moto as one user. */
export interface AwsAs {
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

export interface PolicyDocument {
  Version: string;
  Statement: { Sid?: string; Effect: string; Action: string[]; Resource: string | string[] }[];
}

export function committedPolicy(): PolicyDocument {
  return JSON.parse(readFileSync(path.join(repoRoot, 'deploy', 'aws', 'iam-policy.json'), 'utf8')) as PolicyDocument;
}

/** The policy without one action (for the negative tests). */
export function policyWithout(policy: PolicyDocument, action: string): PolicyDocument {
  if (!policy.Statement.some((s) => s.Action.includes(action))) throw new Error(`the policy does not grant ${action}`);
  return {
    ...policy,
    Statement: policy.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== action) })),
  };
}

/**
 * The same policy as moto reads actions: moto names an action after the service's SigV4 signing
 * name, which for CloudWatch is `monitoring` (IAM's prefix is `cloudwatch`); every other service
 * here signs with its IAM prefix. Only that prefix is rewritten.
 */
export function asMotoNamesActions(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((s) => ({
      ...s,
      Action: s.Action.map((a) => a.replace(/^cloudwatch:/, 'monitoring:')),
    })),
  };
}

/** The calls moto lets through unsigned: create the admin user, give it everything, make its key. */
const ADMIN_SETUP_CALLS = 3;

export interface IamMoto {
  moto: SlowRds;
  /** Allowed every action: seeds fixtures and reads end states. */
  admin: AwsAs;
  /** A new IAM user whose only permission is `policy` (a managed policy attached to it), and its key. */
  userWith(name: string, policy: PolicyDocument): Promise<AwsAs>;
  stop(): Promise<void>;
}

export async function startIamMoto(): Promise<IamMoto> {
  const moto = await startSlowRds({ env: { INITIAL_NO_AUTH_ACTION_COUNT: String(ADMIN_SETUP_CALLS) } });
  const as = (credentials: AwsCredentials): AwsAs => ({ endpoint: moto.endpoint, region: moto.region, credentials });
  try {
    // The ADMIN_SETUP_CALLS unsigned calls; moto checks every call after them.
    const bootstrap = new IAMClient({
      ...as({ accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' }),
      maxAttempts: 1,
    });
    await bootstrap.send(new CreateUserCommand({ UserName: 'admin' }));
    await bootstrap.send(
      new PutUserPolicyCommand({
        UserName: 'admin',
        PolicyName: 'everything',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const key = (await bootstrap.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey!;
    bootstrap.destroy();
    const admin = as({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    return {
      moto,
      admin,
      async userWith(name, policy) {
        const iam = new IAMClient(admin);
        try {
          await iam.send(new CreateUserCommand({ UserName: name }));
          const created = await iam.send(
            new CreatePolicyCommand({ PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(policy) }),
          );
          await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: created.Policy!.Arn! }));
          const userKey = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
          return as({ accessKeyId: userKey.AccessKeyId!, secretAccessKey: userKey.SecretAccessKey! });
        } finally {
          iam.destroy();
        }
      },
      stop: () => moto.stop(),
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}
