// How a notification channel or probed URL is named in logs, timelines and errors: scheme, host
// and path only. Slack webhook URLs are credentials in their path, so Slack shows the host alone.
import type { ErrorRateSource, NotificationChannel } from '../schemas/incidentRollback.js';

function hostOf(url: string): string {
  const match = /^[a-z]+:\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(url);
  return match?.[1] ?? 'unknown host';
}

function withoutQuery(url: string): string {
  return url.replace(/^([a-z]+:\/\/)(?:[^@/?#]*@)?/i, '$1').replace(/[?#].*$/, '');
}

export function describeChannel(channel: NotificationChannel): string {
  switch (channel.type) {
    case 'slack':
      return `slack ${hostOf(channel.webhookUrl)}`;
    case 'webhook':
      return `webhook ${withoutQuery(channel.url)}`;
    case 'log':
      return 'log';
  }
}

export function describeErrorRateSource(source: ErrorRateSource): string {
  return `health URL ${withoutQuery(source.url)}`;
}
