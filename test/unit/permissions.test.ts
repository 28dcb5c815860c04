// The committed permissions list exactly what the code uses: every AWS SDK command imported under
// src/ maps to IAM actions (src/activities/awsPermissions.ts) whose union is the policy in
// deploy/aws/iam-policy.json, so a new AWS call without a policy change fails here. The RBAC role
// is checked for shape here and proved by test/kubernetes/leastPrivilege.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApplicationFailure } from '@temporalio/common';
import { AWS_PERMISSIONS, IAM_ACTIONS } from '../../src/activities/awsPermissions.js';
import { fromAwsError } from '../../src/activities/failures.js';
import { fromKubeError, KubeApiError } from '../../src/activities/kubernetes/client.js';
import { describeApiRequest, formatApiRequest } from '../../src/domain/kubernetes/apiRequest.js';
import { repoRoot } from '../support/tools.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** `[package, Command]` for every command class imported as a value from an AWS SDK client. */
function importedCommands(files: string[]): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      if (m[1]) continue; // import type { ... }: no call
      for (const spec of m[2]!.split(',').map((s) => s.trim())) {
        if (!spec || spec.startsWith('type ')) continue;
        const name = spec.split(/\s+as\s+/)[0]!;
        if (name.endsWith('Command')) found.push([m[3]!, name, path.relative(repoRoot, file)]);
      }
    }
    expect(text).not.toMatch(/import\s+\*\s+as\s+\w+\s+from\s+'@aws-sdk\//);
  }
  return found;
}

// Everything under src/ is runtime code; tools/demo/ seeds moto for `npm start` with admin calls
// (IAM CreateRole, CreateFunction, ...) and lives outside it.
const workerSources = sourceFiles(path.join(repoRoot, 'src'));
const policy = JSON.parse(readFileSync(path.join(repoRoot, 'deploy', 'aws', 'iam-policy.json'), 'utf8')) as {
  Version: string;
  Statement: { Sid?: string; Effect: string; Action: string[]; Resource: string | string[] }[];
};

describe('deploy/aws/iam-policy.json', () => {
  test('every AWS SDK command the worker imports has its IAM actions in the table', () => {
    const commands = importedCommands(workerSources);
    expect(commands.length).toBeGreaterThan(10);
    const missing = commands
      .filter(([pkg, command]) => !AWS_PERMISSIONS[pkg]?.commands[command])
      .map(([pkg, command, file]) => `${pkg} ${command} (${file})`);
    expect(missing).toEqual([]);
  });

  test('the table lists no command the worker does not send', () => {
    const used = new Set(importedCommands(workerSources).map(([pkg, command]) => `${pkg} ${command}`));
    const stale = Object.entries(AWS_PERMISSIONS).flatMap(([pkg, service]) =>
      Object.keys(service.commands)
        .map((command) => `${pkg} ${command}`)
        .filter((key) => !used.has(key)),
    );
    expect(stale).toEqual([]);
  });

  test('the policy allows exactly the actions of those commands, named one by one', () => {
    const needed = new Set(
      importedCommands(workerSources).flatMap(([pkg, command]) => AWS_PERMISSIONS[pkg]!.commands[command]!),
    );
    const granted = policy.Statement.flatMap((s) => s.Action);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(granted.filter((a) => a.includes('*'))).toEqual([]);
    expect(granted.length).toBe(new Set(granted).size);
    expect([...granted].sort()).toEqual([...needed].sort());
  });
});

describe('deploy/kubernetes/*.yaml', () => {
  const docs = (file: string) =>
    parseAllDocuments(readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', file), 'utf8')).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; rules?: Record<string, string[]>[] },
    );
  const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);

  test.each(['rbac.yaml', 'rbac-helm.yaml', 'rbac-migrations.yaml'])(
    '%s names every group, resource and verb (no wildcard) and binds only per namespace',
    (file) => {
      const objects = docs(file);
      expect(objects.some((o) => o.kind === 'ClusterRole')).toBe(true);
      expect(objects.filter((o) => o.kind === 'ClusterRoleBinding')).toEqual([]);
      for (const rule of objects.flatMap((o) => o.rules ?? [])) {
        expect(Object.keys(rule).sort()).toEqual(['apiGroups', 'resources', 'verbs']);
        for (const value of [...rule.apiGroups!, ...rule.resources!, ...rule.verbs!]) expect(value).not.toContain('*');
        expect(rule.verbs!.filter((v) => !VERBS.has(v))).toEqual([]);
      }
    },
  );
});

describe('a denied call names what the role or policy lacks, and is not retried', () => {
  test('the RBAC verb and resource of a request, as the API server resolves them', () => {
    const cases: [string, string, string][] = [
      ['PATCH', '/apis/apps/v1/namespaces/demo/deployments/web', 'patch deployments.apps "web" in namespace "demo"'],
      [
        'GET',
        '/apis/apps/v1/namespaces/demo/replicasets?labelSelector=app%3Dweb',
        'list replicasets.apps in namespace "demo"',
      ],
      ['GET', '/api/v1/namespaces/demo/pods/web-1/log?tailLines=10', 'get pods/log "web-1" in namespace "demo"'],
      ['PUT', '/api/v1/namespaces/demo/configmaps/app', 'update configmaps "app" in namespace "demo"'],
      ['POST', '/api/v1/namespaces/demo/secrets', 'create secrets in namespace "demo"'],
      [
        'DELETE',
        '/apis/networking.k8s.io/v1/namespaces/demo/ingresses/shop',
        'delete ingresses.networking.k8s.io "shop" in namespace "demo"',
      ],
      ['GET', '/api/v1/namespaces/demo', 'get namespaces "demo"'],
      ['GET', '/apis/apps/v1/deployments?watch=true', 'watch deployments.apps'],
    ];
    for (const [method, url, expected] of cases)
      expect(formatApiRequest(describeApiRequest(method, url)!)).toBe(expected);
    expect(describeApiRequest('GET', '/version')).toBeUndefined();
  });

  test('a Kubernetes 403 is Forbidden, non-retryable, with the verb, the resource and the API server message', () => {
    const apiMessage =
      'deployments.apps "web" is forbidden: User "system:serviceaccount:ops:rollback-orchestrator" cannot patch resource "deployments" in API group "apps" in the namespace "demo"';
    const error = new KubeApiError(
      403,
      'Forbidden',
      apiMessage,
      describeApiRequest('PATCH', '/apis/apps/v1/namespaces/demo/deployments/web'),
    );
    const failure = fromKubeError(error, 'kubernetes: deployment "web" in namespace "demo"') as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'Forbidden', nonRetryable: true });
    expect(failure.message).toBe(
      `kubernetes: deployment "web" in namespace "demo": Forbidden: patch deployments.apps "web" in namespace "demo" (${apiMessage})`,
    );
    // Conflicts and server errors stay retryable.
    expect(fromKubeError(new KubeApiError(409, 'Conflict', 'x'), 'c')).toBeInstanceOf(KubeApiError);
    expect(fromKubeError(new KubeApiError(503, 'ServiceUnavailable', 'x'), 'c')).toBeInstanceOf(KubeApiError);
  });

  /** An SDK error as the SDK throws it: a service error with its code, or an unreadable body. */
  function awsError(name: string, message: string, options: { status: number; fault?: boolean; actions?: string[] }) {
    const error = Object.assign(new Error(message), {
      name,
      $metadata: { httpStatusCode: options.status },
      ...(options.fault === false ? {} : { $fault: 'client' }),
    });
    if (options.actions) Object.defineProperty(error, IAM_ACTIONS, { value: options.actions });
    return error;
  }

  test('an AWS AccessDenied names the IAM action and keeps AWS message', () => {
    const said = 'User: arn:aws:iam::123456789012:user/x is not authorized to perform: lambda:UpdateAlias';
    const failure = fromAwsError(
      awsError('AccessDeniedException', said, { status: 403, actions: ['lambda:UpdateAlias'] }),
      'lambda: alias "production" of "checkout-api"',
    ) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'Forbidden', nonRetryable: true });
    expect(failure.message).toBe(
      `lambda: alias "production" of "checkout-api": AccessDenied: lambda:UpdateAlias is not allowed (AccessDeniedException: ${said})`,
    );
  });

  test('any other 403 is a denial too, decided by the status, even when the body could not be read', () => {
    const unreadable = awsError('SyntaxError', "Unexpected token '<'", {
      status: 403,
      fault: false,
      actions: ['lambda:GetFunction', 'lambda:ListTags'],
    });
    const failure = fromAwsError(unreadable, 'lambda: function "f"') as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'Forbidden', nonRetryable: true });
    expect(failure.message).toBe('lambda: function "f": AccessDenied: lambda:GetFunction is not allowed (HTTP 403)');
    const badKey = awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', {
      status: 403,
    });
    expect(fromAwsError(badKey, 'rds')).toMatchObject({ type: 'Forbidden', nonRetryable: true });
  });

  test('a 403 a later attempt can pass (clock skew, expired token) and throttling stay retryable', () => {
    for (const name of ['RequestTimeTooSkewed', 'ExpiredToken']) {
      const error = awsError(name, 'x', { status: 403 });
      expect(fromAwsError(error, 'c')).toBe(error);
    }
    const throttled = awsError('ThrottlingException', 'Rate exceeded', { status: 400 });
    expect(fromAwsError(throttled, 'c')).toBe(throttled);
  });
});
