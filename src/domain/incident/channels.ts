// How a notification channel or probed URL is named in logs, timelines and errors. Channels are
// names already (their URLs live in the worker's configuration); a probed URL shows scheme, host
// and path only, never credentials or a query.
import type { ErrorRateSource, NotificationChannel } from '../schemas/incidentRollback.js';

function withoutQuery(url: string): string {
  return url.replace(/^([a-z]+:\/\/)(?:[^@/?#]*@)?/i, '$1').replace(/[?#].*$/, '');
}

export function describeChannel(channel: NotificationChannel): string {
  return `channel "${channel.channel}"`;
}

export function describeErrorRateSource(source: Pick<ErrorRateSource, 'url'>): string {
  return `health URL ${withoutQuery(source.url)}`;
}
