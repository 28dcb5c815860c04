// Announcements to people: Slack incoming webhooks, any JSON webhook, and the worker's log, by
// channel name. The worker resolves names from its configuration (src/config/channels.ts), so a
// webhook URL (a credential) never enters a workflow's input, history or result, nor a message
// of ours. A 4xx answer (wrong URL, revoked hook) is not retried; 5xx and network errors are.
// The workflow decides what a failed delivery means (never a failed rollback).
import { log } from '@temporalio/activity';
import type { ChannelDirectory, ResolvedChannel } from '../config/channels.js';
import type { Notification } from '../domain/incident/notifications.js';
import type { NotificationChannel } from '../domain/schemas/incidentRollback.js';
import { nonRetryable } from './failures.js';

export interface NotificationReceipt {
  channel: string;
  delivered: true;
  detail: string;
}

/** Slack's mrkdwn bolds with single asterisks. */
export function toSlackMarkdown(text: string): string {
  return text.replace(/\*\*([^*]+)\*\*/g, '*$1*');
}

const LOG_ONLY: ChannelDirectory = new Map([['log', { name: 'log', type: 'log' }]]);

export function createNotifyActivities(options: { timeoutMs?: number; channels?: ChannelDirectory } = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const directory = options.channels ?? LOG_ONLY;

  function resolve(name: string): ResolvedChannel {
    const channel = directory.get(name);
    if (!channel) {
      const known = [...directory.keys()].join(', ');
      throw nonRetryable(
        'NotConfigured',
        `notify: channel "${name}" is not configured on this worker (known: ${known}); add it to ROLLBACK_CHANNELS`,
      );
    }
    return channel;
  }

  async function post(channel: ResolvedChannel, n: Notification, body: unknown): Promise<NotificationReceipt> {
    const name = `${channel.type} channel "${channel.name}"`;
    let res: Response;
    try {
      res = await fetch(channel.url!, {
        method: 'POST',
        // Receivers may route or de-duplicate by incident; Slack ignores these headers.
        headers: {
          'content-type': 'application/json',
          'x-rollback-incident': n.incidentId,
          'x-rollback-service': n.service,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // The message names the channel without its URL: a webhook URL is a credential.
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new Error(`notify: ${name} unreachable (${cause})`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return { channel: channel.name, delivered: true, detail: `HTTP ${res.status}` };
    const message = `notify: ${name} answered HTTP ${res.status}${answer ? ` (${answer})` : ''}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      throw nonRetryable('InvalidInput', message);
    }
    throw new Error(message);
  }

  async function sendNotification(req: {
    channel: NotificationChannel;
    notification: Notification;
  }): Promise<NotificationReceipt> {
    const n = req.notification;
    const channel = resolve(req.channel.channel);
    switch (channel.type) {
      case 'slack':
        return post(channel, n, { text: toSlackMarkdown(n.text), mrkdwn: true });
      case 'webhook':
        return post(channel, n, n);
      case 'log':
        log.info(n.text, { kind: n.kind, incidentId: n.incidentId, service: n.service, environment: n.environment });
        return { channel: 'log', delivered: true, detail: 'logged' };
    }
  }

  /** The names among `names` this worker cannot deliver to, so an incident fails at its start. */
  async function unknownChannels(names: string[]): Promise<string[]> {
    return [...new Set(names)].filter((n) => !directory.has(n));
  }

  return { sendNotification, unknownChannels };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
