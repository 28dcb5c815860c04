// What an announcement carries to a channel: its kind, the rendered markdown and the incident.

export type NotificationKind =
  | 'rollback-in-progress'
  | 'rollback-complete'
  | 'rollback-failed'
  | 'confirmation-request'
  | 'investigation-request'
  | 'escalation'
  | 'procedure-confirmation-request'
  | 'sla-warning'
  | 'sla-breach'
  | 'incident-closed'
  | 'follow-up-reminder';

export interface Notification {
  kind: NotificationKind;
  /** Markdown, as in the runbook's templates. */
  text: string;
  incidentId: string;
  service: string;
  environment: string;
  severity?: string;
}
