// Sends announcements without holding up the rollback: each delivery is an activity of its own,
// recorded in the timeline when it lands or fails; `flush` waits for the outstanding ones before
// the workflow returns. A failed notification never fails the incident.
import type { Notification, NotificationKind } from '../../domain/incident/notifications.js';
import { describeChannel } from '../../domain/incident/channels.js';
import { notifySummary } from '../../domain/incident/summaries.js';
import type { TimelineEntry } from '../../domain/incident/timeline.js';
import type { NotificationChannel } from '../../domain/schemas/incidentRollback.js';
import { notifications } from './activities.js';

type Record = (kind: TimelineEntry['kind'], message: string) => void;

export class Notifier {
  private readonly pending: Promise<void>[] = [];

  constructor(
    private readonly record: Record,
    private readonly header: () => Omit<Notification, 'kind' | 'text'>,
  ) {}

  /** Sends `text` to every channel; `onDelivered` runs once, after the first delivery. */
  send(kind: NotificationKind, text: string, channels: NotificationChannel[], onDelivered?: () => void): void {
    let delivered = false;
    for (const channel of channels) {
      const notification: Notification = { ...this.header(), kind, text };
      const name = describeChannel(channel);
      this.pending.push(
        notifications.sendNotification
          .executeWithOptions({ summary: notifySummary(channel.channel, kind) }, [{ channel, notification }])
          .then(
            () => {
              this.record('notified', `${kind} sent to ${name}`);
              if (!delivered) {
                delivered = true;
                onDelivered?.();
              }
            },
            (error: unknown) => this.record('notification-failed', `${kind} to ${name} failed: ${reason(error)}`),
          ),
      );
    }
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
}

/** The innermost message of an activity or child failure. */
export function reason(error: unknown): string {
  let e = error as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message ?? String(error);
}
