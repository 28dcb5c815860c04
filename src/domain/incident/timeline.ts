// The incident's timeline: every decision, human action, notification and step, with who and when.

export type TimelineKind =
  | 'assessed'
  | 'alert'
  | 'alert-resolved'
  | 'severity-changed'
  | 'phase'
  | 'confirmed'
  | 'rejected'
  | 'investigation'
  | 'aborted'
  | 'refused'
  | 'ignored'
  | 'checklist'
  | 'confirmation-timeout'
  | 'escalated'
  | 'error-rate'
  | 'procedure-planned'
  | 'procedure-awaiting'
  | 'forwarded'
  | 'refire-guard'
  | 'verification'
  | 'latency'
  | 'procedure-started'
  | 'procedure-succeeded'
  | 'procedure-failed'
  | 'notified'
  | 'notification-failed'
  | 'sla-warning'
  | 'sla-breached'
  | 'follow-ups-started';

export interface TimelineEntry {
  /** ISO timestamp (workflow time). */
  at: string;
  kind: TimelineKind;
  /** The person or system that acted; absent for the workflow's own steps. */
  by?: string;
  message: string;
}
