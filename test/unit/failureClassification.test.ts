// Which failures Temporal retries: throttling, 5xx, timeouts and conflicts are retried; other client
// errors (4xx) are not. Decided by the HTTP status and the error code, never by the message; checked
// on errors shaped as the SDKs make them, and on the real SDKs' parse of the fault proxy's answers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApplicationFailure } from '@temporalio/common';
import { NON_RETRYABLE_FAILURE_TYPES, classifyAwsError, fromAwsError } from '../../src/activities/failures.js';
import { KubeApiError, KubeClient, fromKubeError } from '../../src/activities/kubernetes/client.js';
import { startFaultProxy, type FaultKind, type FaultProxy } from '../support/faultProxy.js';
import { freePort } from '../support/ports.js';

/** An error as the AWS SDK builds it from an answer: name = the error code, status in $metadata. */
function awsError(name: string, status: number | undefined, extra: object = {}): Error {
  return Object.assign(new Error(`${name} said no`), {
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...extra,
  });
}

/** What Temporal will do with what an activity throws. */
function verdict(thrown: unknown): string {
  if (thrown instanceof ApplicationFailure && thrown.nonRetryable) return `non-retryable ${thrown.type}`;
  const type = thrown instanceof ApplicationFailure ? thrown.type : (thrown as Error).name;
  return type && NON_RETRYABLE_FAILURE_TYPES.includes(type) ? `non-retryable ${type}` : 'retried';
}

describe('AWS errors', () => {
  test.each([
    ['Throttling', 400, 'retried'],
    ['ThrottlingException', 400, 'retried'],
    ['TooManyRequestsException', 429, 'retried'],
    ['PriorRequestNotComplete', 400, 'retried'],
    ['SomethingNewThrottled', 429, 'retried'],
    ['InternalFailure', 500, 'retried'],
    ['ServiceException', 500, 'retried'],
    ['ServiceUnavailable', 503, 'retried'],
    ['BadGateway', 502, 'retried'],
    ['ResourceConflictException', 409, 'retried'],
    ['InvalidDBInstanceStateFault', 400, 'retried'],
    ['RequestTimeout', 408, 'retried'],
    ['TimeoutError', undefined, 'retried'],
    ['ECONNRESET', undefined, 'retried'],
    ['ValidationError', 400, 'non-retryable InvalidInput'],
    ['InvalidRequestException', 400, 'non-retryable InvalidInput'],
    ['PayloadTooLarge', 413, 'non-retryable InvalidInput'],
    ['UnrecognizedClientException', 403, 'non-retryable Forbidden'],
    // An expired token or a skewed clock: the next attempt signs again with refreshed credentials.
    ['ExpiredToken', 401, 'retried'],
    ['RequestTimeTooSkewed', 403, 'retried'],
    ['AccessDeniedException', 403, 'non-retryable Forbidden'],
    ['SomeResourceMissing', 404, 'non-retryable NotFound'],
    ['ResourceNotFoundException', 404, 'non-retryable NotFound'],
    ['DBInstanceNotFoundFault', 404, 'non-retryable NotFound'],
    ['AccessDeniedException', 400, 'non-retryable Forbidden'],
  ])('%s (HTTP %s) is %s', (name, status, expected) => {
    expect(verdict(fromAwsError(awsError(name, status), 'test: thing'))).toBe(expected);
  });

  test('a modeled retryable error ($retryable) is retried whatever its status', () => {
    expect(classifyAwsError(awsError('EC2SomethingBusy', 400, { $retryable: { throttling: false } }))).toBe('retry');
  });

  test('the message plays no part: the same words under another status are classified by the status', () => {
    const words = { message: 'Rate exceeded, please retry: throttling' };
    expect(verdict(fromAwsError(awsError('InvalidParameterCombination', 400, words), 'x'))).toBe(
      'non-retryable InvalidInput',
    );
    expect(verdict(fromAwsError(awsError('NotAThrottle', 503, { message: 'invalid input' }), 'x'))).toBe('retried');
  });

  test('a non-retryable failure names the resource, the status and the code', () => {
    const failure = fromAwsError(awsError('ValidationError', 400), 'rds: instance "orders-prod"') as ApplicationFailure;
    expect(failure.message).toBe(
      'rds: instance "orders-prod": rejected by AWS (HTTP 400 ValidationError: ValidationError said no)',
    );
  });
});

describe('Kubernetes API errors', () => {
  test.each([
    [400, 'BadRequest', 'non-retryable InvalidInput'],
    [401, 'Unauthorized', 'non-retryable Forbidden'],
    [403, 'Forbidden', 'non-retryable Forbidden'],
    [404, 'NotFound', 'non-retryable NotFound'],
    [405, 'MethodNotAllowed', 'non-retryable InvalidInput'],
    [410, 'Gone', 'non-retryable InvalidInput'],
    [415, 'UnsupportedMediaType', 'non-retryable InvalidInput'],
    [422, 'Invalid', 'non-retryable InvalidInput'],
    [408, 'Timeout', 'retried'],
    [409, 'Conflict', 'retried'],
    [429, 'TooManyRequests', 'retried'],
    [500, 'InternalError', 'retried'],
    [503, 'ServiceUnavailable', 'retried'],
    [504, 'Timeout', 'retried'],
  ])('HTTP %s %s is %s', (status, reason, expected) => {
    expect(verdict(fromKubeError(new KubeApiError(status, reason, 'message'), 'kubernetes: thing'))).toBe(expected);
  });
});

describe("the SDKs' own parse of the fault proxy's answers is retried", () => {
  let proxies: Partial<Record<FaultKind, FaultProxy>> = {};
  let kubeconfigDir: string;
  const kinds = ['throttle', 'status500', 'status503'] as const;

  beforeAll(async () => {
    // Nothing listens behind the proxies: every answer is a fault injected before forwarding.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const started = await Promise.all(
      kinds.map((kind) => startFaultProxy({ name: kind, flavor: 'aws', target: nowhere, faultRate: 1, kinds: [kind] })),
    );
    proxies = Object.fromEntries(kinds.map((k, i) => [k, started[i]]));
    kubeconfigDir = await mkdtemp(path.join(tmpdir(), 'classification-'));
  });
  afterAll(async () => {
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    await rm(kubeconfigDir, { recursive: true, force: true });
  });

  const config = (kind: FaultKind) => ({
    endpoint: proxies[kind]!.url,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const calls: [string, (kind: FaultKind) => Promise<unknown>][] = [
    [
      'Lambda (REST-JSON)',
      (k) => new LambdaClient(config(k)).send(new GetAliasCommand({ FunctionName: 'f', Name: 'a' })),
    ],
    ['RDS (Query)', (k) => new RDSClient(config(k)).send(new DescribeDBInstancesCommand({}))],
    [
      'Route53 (REST-XML)',
      (k) => new Route53Client(config(k)).send(new ListResourceRecordSetsCommand({ HostedZoneId: 'Z1' })),
    ],
    [
      'Secrets Manager (JSON 1.1)',
      (k) => new SecretsManagerClient(config(k)).send(new DescribeSecretCommand({ SecretId: 's' })),
    ],
    ['CloudWatch (JSON 1.0)', (k) => new CloudWatchClient(config(k)).send(new DescribeAlarmsCommand({}))],
  ];
  const expectedStatus: Record<(typeof kinds)[number], number[]> = {
    throttle: [400, 429],
    status500: [500],
    status503: [503],
  };

  describe.each(calls)('%s', (_service, call) => {
    test.each(kinds)('%s', async (kind) => {
      const error = (await call(kind).catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
      expect(error).toBeInstanceOf(Error);
      expect(expectedStatus[kind]).toContain(error.$metadata?.httpStatusCode);
      if (kind === 'throttle')
        expect(error.name).toMatch(/^(Throttling|ThrottlingException|TooManyRequestsException)$/);
      expect(classifyAwsError(error)).toBe('retry');
      expect(verdict(fromAwsError(error, 'test'))).toBe('retried');
    });
  });

  test.each(kinds)('Kubernetes %s: a KubeApiError with the status, retried', async (kind) => {
    const proxy = await startFaultProxy({
      name: `kube-${kind}`,
      flavor: 'kubernetes',
      target: `http://127.0.0.1:${await freePort()}`,
      faultRate: 1,
      kinds: [kind],
      retryAfterSeconds: 0,
    });
    try {
      const file = path.join(kubeconfigDir, `${kind}.yaml`);
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{ name: c, cluster: { server: "' + proxy.url + '", insecure-skip-tls-verify: true } }]',
          'users: [{ name: u, user: { token: t } }]',
          'contexts: [{ name: x, context: { cluster: c, user: u } }]',
          'current-context: x',
        ].join('\n'),
      );
      const error = await KubeClient.load(file)
        .get('/api/v1/namespaces/default/configmaps/x')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeApiError);
      const status = { throttle: 429, status500: 500, status503: 503 }[kind];
      expect((error as KubeApiError).status).toBe(status);
      expect(verdict(fromKubeError(error, 'kubernetes: configmap "x"'))).toBe('retried');
      // As client-go, the client itself sends a 429 with Retry-After again, 10 times; not a 5xx without it.
      expect(proxy.exchanges).toHaveLength(kind === 'throttle' ? 11 : 1);
    } finally {
      await proxy.close();
    }
  });
});
