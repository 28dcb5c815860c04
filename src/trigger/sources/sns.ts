// Amazon SNS HTTP(S) deliveries: subscription confirmations and notifications carrying a
// CloudWatch alarm, each verified against the SNS signing certificate before it is believed.
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
import { createVerify, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Catalog } from '../../config/catalog.js';
import { environmentFor, serviceByAlarmName, signalsFrom, type Routed } from '../alerts.js';

const common = {
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
};

export const snsMessage = z.discriminatedUnion('Type', [
  z.object({
    Type: z.literal('Notification'),
    Subject: z.string().nullish(),
    UnsubscribeURL: z.string().optional(),
    ...common,
  }),
  z.object({
    Type: z.literal('SubscriptionConfirmation'),
    SubscribeURL: z.string().min(1),
    Token: z.string().min(1),
    ...common,
  }),
  z.object({
    Type: z.literal('UnsubscribeConfirmation'),
    SubscribeURL: z.string().min(1),
    Token: z.string().min(1),
    ...common,
  }),
]);
export type SnsMessage = z.infer<typeof snsMessage>;

/** The CloudWatch alarm state change an SNS notification carries as its Message. */
export const cloudWatchAlarm = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: z.string().optional(),
  StateChangeTime: z.string().optional(),
  Region: z.string().optional(),
  AlarmArn: z.string().optional(),
});

/** `https://sns.<region>.amazonaws.com[.cn]/` and nothing else: the only hosts the trigger fetches. */
const SNS_HOST = /^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$/;

export function isSnsUrl(raw: string, pathPattern?: RegExp): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  const plain = url.protocol === 'https:' && url.port === '' && url.username === '' && url.password === '';
  return plain && SNS_HOST.test(url.hostname) && (!pathPattern || pathPattern.test(url.pathname));
}

/** The fields SNS signs, in its order, as `name\nvalue\n` pairs. */
export function stringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  const record = m as Record<string, unknown>;
  return fields
    .filter((f) => record[f] !== undefined && record[f] !== null)
    .map((f) => `${f}\n${String(record[f])}\n`)
    .join('');
}

export class SnsRejected extends Error {}
/** The certificate could not be downloaded: not the sender's fault, so it should retry. */
export class CertificateUnavailable extends Error {}

export interface SnsVerifierOptions {
  certCacheDir: string;
  /** Downloads an allow-listed certificate that is not cached yet. */
  fetchCertificate?: (url: string) => Promise<string>;
}

async function defaultFetchCertificate(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new SnsRejected(`SigningCertURL: ${response.status} fetching the certificate`);
  return response.text();
}

/** Verifies an SNS message's signature; throws SnsRejected saying why it is not believed. */
export async function verifySnsMessage(m: SnsMessage, options: SnsVerifierOptions): Promise<void> {
  if (!isSnsUrl(m.SigningCertURL, /\.pem$/)) {
    throw new SnsRejected('SigningCertURL: not an https://sns.<region>.amazonaws.com/...pem certificate');
  }
  // File name = the URL's last path segment; read before any fetch, so deployments can pin them.
  const file = path.join(options.certCacheDir, path.basename(new URL(m.SigningCertURL).pathname));
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    try {
      pem = await (options.fetchCertificate ?? defaultFetchCertificate)(m.SigningCertURL);
    } catch (error) {
      if (error instanceof SnsRejected) throw error;
      throw new CertificateUnavailable(`SigningCertURL: cannot fetch the certificate (${(error as Error).message})`);
    }
    mkdirSync(options.certCacheDir, { recursive: true });
    writeFileSync(file, pem);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new SnsRejected('SigningCertURL: the certificate cannot be read');
  }
  const at = Date.parse(m.Timestamp);
  if (at < Date.parse(certificate.validFrom) || at > Date.parse(certificate.validTo)) {
    throw new SnsRejected('Signature: the certificate was not valid at the message Timestamp');
  }
  const verifier = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  verifier.update(stringToSign(m), 'utf8');
  if (!verifier.verify(certificate.publicKey, m.Signature, 'base64')) {
    throw new SnsRejected('Signature: does not match the message');
  }
}

export function routeCloudWatch(catalog: Catalog, message: SnsMessage & { Type: 'Notification' }): Routed {
  const routed: Routed = { alerts: [], unmatched: [], ignored: [] };
  let json: unknown;
  try {
    json = JSON.parse(message.Message);
  } catch {
    json = undefined;
  }
  const parsed = cloudWatchAlarm.safeParse(json);
  if (!parsed.success) {
    routed.ignored.push({ alert: message.MessageId, reason: 'Message is not a CloudWatch alarm state change' });
    return routed;
  }
  const alarm = parsed.data;
  if (alarm.NewStateValue === 'INSUFFICIENT_DATA') {
    routed.ignored.push({ alert: alarm.AlarmName, reason: 'INSUFFICIENT_DATA neither fires nor resolves' });
    return routed;
  }
  const service = serviceByAlarmName(catalog, alarm.AlarmName);
  if (!service) {
    routed.unmatched.push({ alert: alarm.AlarmName, reason: 'no catalog service has a matching alarmNamePrefix' });
    return routed;
  }
  const env = environmentFor(service, service.match.cloudwatch?.environment);
  if ('reason' in env) {
    routed.unmatched.push({ alert: alarm.AlarmName, reason: env.reason });
    return routed;
  }
  const changed = alarm.StateChangeTime ? Date.parse(alarm.StateChangeTime) : NaN;
  routed.alerts.push({
    service,
    environment: env.environment,
    status: alarm.NewStateValue === 'ALARM' ? 'firing' : 'resolved',
    // An alarm carries no severity: the service's default.
    signals: signalsFrom('Message', undefined, {}, service),
    summary: `CloudWatch ${alarm.AlarmName} ${alarm.NewStateValue}${alarm.NewStateReason ? `: ${alarm.NewStateReason}` : ''}`,
    requestedBy: 'cloudwatch',
    detectedAt: Number.isNaN(changed) ? undefined : new Date(changed).toISOString(),
  });
  return routed;
}
