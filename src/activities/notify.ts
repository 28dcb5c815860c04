// Announcements to people: Slack incoming webhooks, any JSON webhook, and the worker's log.
// A 4xx answer (wrong URL, revoked hook) is not retried; 5xx and network errors are. The
// workflow decides what a failed delivery means (never a failed rollback).
import { log } from '@temporalio/activity';
import { describeChannel } from '../domain/incident/channels.js';
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

export function createNotifyActivities(options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function post(channel: NotificationChannel, url: string, body: unknown): Promise<NotificationReceipt> {
    const name = describeChannel(channel);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // The message names the channel without its URL: a webhook URL is a credential.
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new Error(`notify: ${name} unreachable (${cause})`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return { channel: name, delivered: true, detail: `HTTP ${res.status}` };
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
    const { channel, notification: n } = req;
    switch (channel.type) {
      case 'slack':
        return post(channel, channel.webhookUrl, { text: toSlackMarkdown(n.text), mrkdwn: true });
      case 'webhook':
        return post(channel, channel.url, n);
      case 'log':
        log.info(n.text, { kind: n.kind, incidentId: n.incidentId, service: n.service, environment: n.environment });
        return { channel: 'log', delivered: true, detail: 'logged' };
    }
  }

  return { sendNotification };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
