// Bodies in each alerting format, written from the public documentation (Alertmanager
// webhook_config v4, PagerDuty Webhooks v3, Amazon SNS message signing), and the test keys that
// sign them. The SNS certificate is a self-signed one made by openssl into a temp cache dir.
import { execFileSync } from 'node:child_process';
import { CreateAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createHmac, createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseCatalog, type Catalog } from '../../src/config/catalog.js';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { loadTriggerConfig, type TriggerConfig } from '../../src/trigger/config.js';
import { stringToSign, type SnsMessage } from '../../src/trigger/sources/sns.js';

export const TOKEN = 'test-token-alertmanager';
export const PAGERDUTY_SECRET = 'pd-secret-new';
export const PAGERDUTY_OLD_SECRET = 'pd-secret-old';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rollback-alarms';
export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';

/** A catalog of `names`, each a Lambda service matched by every source. */
export function testCatalog(names: string[]): Catalog {
  const services = names
    .map(
      (name) => `  - name: ${name}
    environments: [production, staging]
    match:
      alertmanager: { service: ${name} }
      pagerduty: { serviceId: PD-${name} }
      cloudwatch: { alarmNamePrefix: "${name}-" }
    procedures:
      - type: lambdaAliasRollback
        input: { functionName: ${name}, alias: "\${environment}" }
    approvers: [alice]`,
    )
    .join('\n');
  return parseCatalog(`services:\n${services}\n`, 'test-catalog.yaml');
}

export function testTriggerConfig(certCacheDir: string, env: NodeJS.ProcessEnv = {}): TriggerConfig {
  return loadTriggerConfig({
    TRIGGER_TOKENS: `other-token,${TOKEN}`,
    PAGERDUTY_WEBHOOK_SECRETS: `${PAGERDUTY_OLD_SECRET},${PAGERDUTY_SECRET}`,
    SNS_TOPIC_ARNS: TOPIC_ARN,
    SNS_CERT_CACHE_DIR: certCacheDir,
    TRIGGER_RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
}

export interface AmAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** An Alertmanager webhook v4 body with one group of `alerts`. */
export function alertmanagerBody(alerts: AmAlert[], extra: Record<string, unknown> = {}) {
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  return {
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status,
    receiver: 'rollback',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: { alertname: 'HighErrorRate', ...a.labels },
      annotations: a.annotations ?? {},
      startsAt: '2026-11-28T03:00:00.123456789Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=errors',
      fingerprint: randomUUID().slice(0, 16),
    })),
    ...extra,
  };
}

/** A PagerDuty Webhooks v3 incident event for the catalog service `service`. */
export function pagerDutyBody(service: string, eventType: string, urgency = 'high', occurredAt = new Date()) {
  return {
    event: {
      id: `01${randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase()}`,
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: occurredAt.toISOString(),
      agent: { id: 'PLGMG4A', summary: 'Alice', type: 'user_reference' },
      client: null,
      data: {
        id: 'Q1XBR2OOJDF2CT',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/Q1XBR2OOJDF2CT',
        html_url: 'https://acme.pagerduty.com/incidents/Q1XBR2OOJDF2CT',
        number: 2,
        status: eventType === 'incident.resolved' ? 'resolved' : 'triggered',
        incident_key: 'd3640fbd41094207a1c11e58e46b1662',
        created_at: occurredAt.toISOString(),
        title: `${service} error rate`,
        service: { id: `PD-${service}`, summary: service, type: 'service_reference' },
        assignees: [],
        escalation_policy: { id: 'PUS0KTE', summary: 'Default', type: 'escalation_policy_reference' },
        teams: [],
        priority: null,
        urgency,
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}

export function pagerDutySignature(raw: string, ...secrets: string[]): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(raw).digest('hex')}`).join(',');
}

/** An SNS message before signing (Omit on each member of the union). */
type Unsigned<M = SnsMessage> = M extends unknown
  ? Omit<M, 'Signature' | 'SignatureVersion' | 'SigningCertURL'>
  : never;

export interface SnsSigner {
  certCacheDir: string;
  /** A signed message; `version` 1 signs with SHA1, 2 with SHA256. */
  sign(fields: Unsigned, version?: '1' | '2'): SnsMessage;
}

/** An RSA key and a self-signed certificate, cached under CERT_URL's file name. */
export function snsSigner(): SnsSigner {
  const dir = mkdtempSync(path.join(tmpdir(), 'sns-'));
  const certCacheDir = path.join(dir, 'certs');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(certCacheDir, path.basename(new URL(CERT_URL).pathname));
  execFileSync('mkdir', ['-p', certCacheDir]);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=sns.amazonaws.com',
    ],
    { stdio: 'ignore' },
  );
  const privateKey = readFileSync(key, 'utf8');
  return {
    certCacheDir,
    sign(fields, version = '2') {
      const unsigned = { ...fields, SignatureVersion: version, SigningCertURL: CERT_URL, Signature: 'x' } as SnsMessage;
      const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      signer.update(stringToSign(unsigned));
      return { ...unsigned, Signature: signer.sign(privateKey, 'base64') };
    },
  };
}

/** An SNS Notification carrying a CloudWatch alarm state change. */
export function cloudWatchNotification(alarmName: string, state: 'ALARM' | 'OK', at = new Date()) {
  return {
    Type: 'Notification' as const,
    MessageId: randomUUID(),
    TopicArn: TOPIC_ARN,
    Subject: `${state}: "${alarmName}" in US East (N. Virginia)`,
    Message: JSON.stringify({
      AlarmName: alarmName,
      AlarmDescription: 'errors above 5%',
      AWSAccountId: '123456789012',
      NewStateValue: state,
      NewStateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
      StateChangeTime: at.toISOString().replace('Z', '+0000'),
      Region: 'US East (N. Virginia)',
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`,
      OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    }),
    Timestamp: at.toISOString(),
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
  };
}

/** Whether a workflow with this id exists on the server (describe, not the eventual visibility). */
export async function workflowExists(env: TestWorkflowEnvironment, workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return false;
    throw error;
  }
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

/** A POST over real HTTP on loopback (JSON unless `content-type` says otherwise). */
export async function postTo(
  address: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${address}${url}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers),
    json: () => JSON.parse(text),
  };
}

/**
 * The catalog's Lambda functions in moto, with an alias for each environment: an incident plans
 * its procedures before it asks anyone, so the functions it names must exist.
 */
export async function seedCatalogFunctions(
  moto: { endpoint: string; region: string },
  names: readonly string[],
  environments: readonly string[] = ['production', 'staging'],
): Promise<void> {
  const [first, ...others] = environments;
  const client = new LambdaClient({ endpoint: moto.endpoint, region: moto.region });
  try {
    for (const name of names) {
      const { versions } = await seedLambdaFunction(moto, name, { alias: first });
      for (const alias of others) {
        await client.send(
          new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: versions[versions.length - 1] }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}
