import { z } from 'zod';
import { classifyExplicit, classifySignals, DEFAULT_THRESHOLDS, type Classification } from '../decisionMatrix.js';
import { FOLLOW_UP_STAGE_IDS } from '../incident/followUps.js';
import { PROCEDURE_WORKFLOW_TYPES } from '../incident/procedures.js';
import { resourceName } from './common.js';

const severity = z.enum(['P0', 'P1', 'P2', 'P3']);
const person = z.string().trim().min(1, 'must name a person');
const percent = z.number().min(0, 'must be 0 or more');

/** Where announcements go. A Slack or webhook URL is a credential: it is never logged or echoed. */
export const notificationChannel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('slack'), webhookUrl: z.string().url() }).strict(),
  z.object({ type: z.literal('webhook'), url: z.string().url() }).strict(),
  z.object({ type: z.literal('log') }).strict(),
]);
export type NotificationChannel = z.infer<typeof notificationChannel>;

/** Where the P2 monitor reads the error rate; one kind now, Prometheus or CloudWatch later. */
export const errorRateSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('healthUrl'), url: z.string().url() }).strict(),
]);
export type ErrorRateSource = z.infer<typeof errorRateSource>;

const observedSignals = {
  outage: z.boolean().optional(),
  errorRatePct: percent.optional(),
  latencyDegradationPct: percent.optional(),
};

export const procedureRef = z
  .object({
    type: z.enum(PROCEDURE_WORKFLOW_TYPES),
    input: z.record(z.unknown()).default({}),
  })
  .strict();

export const incidentRollbackInput = z
  .object({
    service: resourceName,
    environment: resourceName,
    severity: severity.optional(),
    ...observedSignals,
    procedures: z.array(procedureRef).default([]),
    reason: z.string().trim().min(1, 'must say what is wrong'),
    requestedBy: person,
    detectedAt: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
    incidentCommander: person.optional(),
    approvers: z.array(person).min(1, 'must name at least one approver when given').optional(),
    impact: z.string().trim().min(1).optional(),
    notify: z
      .object({
        channels: z.array(notificationChannel).default([{ type: 'log' }]),
        /** Escalations and SLA breaches; the announcement channels when empty. */
        escalation: z.array(notificationChannel).default([]),
      })
      .strict()
      .default({}),
    confirmation: z
      .object({
        timeoutMinutes: z.number().positive().default(5),
        onTimeout: z.enum(['escalate', 'rollback', 'abort']).default('escalate'),
      })
      .strict()
      .default({}),
    monitoring: z
      .object({ errorRate: errorRateSource, intervalMinutes: z.number().positive().default(5) })
      .strict()
      .optional(),
    thresholds: z
      .object({
        majorErrorRatePct: percent.optional(),
        minorErrorRatePct: percent.optional(),
        latencyDegradationPct: percent.optional(),
        errorGapSeverity: z.enum(['P1', 'P2']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const observed = input.outage !== undefined || input.errorRatePct !== undefined;
    if (input.severity === undefined && !observed && input.latencyDegradationPct === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['severity'],
        message: 'give a severity (P0-P3) or an observed signal (outage, errorRatePct, latencyDegradationPct)',
      });
      return;
    }
    const { severity: assessed } = classifyIncident(input);
    if (assessed !== 'P3' && input.procedures.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['procedures'],
        message: `a ${assessed} incident needs at least one procedure to roll back, e.g. {"type":"lambdaAliasRollback","input":{"functionName":"checkout-api"}}`,
      });
    }
  });

export type IncidentRollbackInput = z.infer<typeof incidentRollbackInput>;
export type ConfirmationTimeoutPolicy = IncidentRollbackInput['confirmation']['onTimeout'];

type Observed = Pick<IncidentRollbackInput, 'outage' | 'errorRatePct' | 'latencyDegradationPct' | 'severity'>;

/** The decision matrix applied to an input or alert: the explicit severity, else the signals. */
export function classifyIncident(
  observed: Observed,
  thresholds: IncidentRollbackInput['thresholds'] = undefined,
): Classification {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const signals = {
    outage: observed.outage,
    errorRatePct: observed.errorRatePct,
    latencyDegradationPct: observed.latencyDegradationPct,
  };
  return observed.severity ? classifyExplicit(observed.severity, signals, t) : classifySignals(signals, t);
}

// Human input, by signal or update. Each names who acted.
export const confirmRequest = z.object({ by: person, notes: z.string().optional() }).strict();
export const rejectRequest = z.object({ by: person, reason: z.string().optional() }).strict();
export const escalateRequest = z.object({ severity, by: person, reason: z.string().optional() }).strict();
export const investigationResult = z
  .object({ rollback: z.boolean(), by: person, notes: z.string().optional() })
  .strict();
export const abortRequest = z.object({ by: person, reason: z.string().optional() }).strict();
export const checklistItemRequest = z
  .object({ item: z.string().trim().min(1), by: person, notes: z.string().optional() })
  .strict();
/** A repeated or changed alert; every field optional (a bare repeat is `{}`). */
export const alertSignal = z
  .object({
    severity: severity.optional(),
    ...observedSignals,
    source: z.string().optional(),
    summary: z.string().optional(),
  })
  .strict();
export const acknowledgeFollowUpRequest = z
  .object({ stage: z.enum(FOLLOW_UP_STAGE_IDS), by: person, notes: z.string().optional() })
  .strict();

export type ConfirmRequest = z.infer<typeof confirmRequest>;
export type RejectRequest = z.infer<typeof rejectRequest>;
export type EscalateRequest = z.infer<typeof escalateRequest>;
export type InvestigationResult = z.infer<typeof investigationResult>;
export type AbortRequest = z.infer<typeof abortRequest>;
export type ChecklistItemRequest = z.infer<typeof checklistItemRequest>;
export type AlertSignal = z.infer<typeof alertSignal>;
export type AcknowledgeFollowUpRequest = z.infer<typeof acknowledgeFollowUpRequest>;

/** `rollback-<environment>-<service>`: one running incident per service and environment. */
export function incidentWorkflowId(environment: string, service: string): string {
  return `rollback-${environment}-${service}`;
}
