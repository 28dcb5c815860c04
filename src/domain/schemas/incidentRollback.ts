import { z } from 'zod';
import { classifyWorst, DEFAULT_THRESHOLDS, type Classification } from '../decisionMatrix.js';
import { FOLLOW_UP_STAGE_IDS } from '../incident/followUps.js';
import { PROCEDURE_TYPES } from '../procedures/registry.js';
import { person, resourceName } from './common.js';
import { checkList } from './verifyRollback.js';

const severity = z.enum(['P0', 'P1', 'P2', 'P3']);
const percent = z.number().min(0, 'must be 0 or more');

/**
 * Where announcements go: a channel configured on the worker, by name (`{"channel":"payments-slack"}`;
 * `log` is built in). A Slack or webhook URL is a credential, so it never travels in an input,
 * a history or a result: the worker resolves names from its own configuration (ROLLBACK_CHANNELS).
 */
const channelRef = z.object({ channel: z.string().trim().min(1, 'must name a configured channel') }).strict();
export const notificationChannel = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v === 'object' && v !== null && ('webhookUrl' in v || 'url' in v || 'type' in v)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          'inline channel URLs are credentials and are refused: name a channel configured on the worker instead, e.g. {"channel":"payments-slack"} (ROLLBACK_CHANNELS)',
      });
    }
  })
  .pipe(channelRef);
export type NotificationChannel = z.infer<typeof notificationChannel>;

/** Where the P2 monitor reads the error rate; one kind now, Prometheus or CloudWatch later. */
export const errorRateSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('healthUrl'), url: z.string().url() }).strict(),
]);
export type ErrorRateSource = z.infer<typeof errorRateSource>;

/** Where latency is read: a health URL's JSON `p95Ms` or `latencyMs`, healthy below `thresholdMs`. */
export const latencySource = z
  .object({ type: z.literal('healthUrl'), url: z.string().url(), thresholdMs: z.number().positive() })
  .strict();
export type LatencySource = z.infer<typeof latencySource>;

const observedSignals = {
  outage: z.boolean().optional(),
  errorRatePct: percent.optional(),
  latencyDegradationPct: percent.optional(),
};

export const procedureRef = z
  .object({
    type: z.enum(PROCEDURE_TYPES),
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
    /** Plan every procedure, change nothing, and close `dry-run` with the plans. */
    dryRun: z.boolean().default(false),
    /** A target rolled back by this service less than this long ago is not rolled back without a person. */
    refireWindowMinutes: z.number().min(0).default(60),
    /** Unanswered escalations are paged again this often. */
    repageMinutes: z.number().positive().default(5),
    /** The whole incident's limit: it closes `expired` (and pages) when nobody finished it by then. */
    maxDurationHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** Whether `requestedBy` may confirm the rollback they asked for. */
    allowSelfApproval: z.boolean().default(false),
    notify: z
      .object({
        channels: z.array(notificationChannel).default([{ channel: 'log' }]),
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
    investigation: z
      .object({
        /** After this, the investigation is escalated and paged again every `repageMinutes`. */
        timeoutMinutes: z.number().positive().default(30),
        onTimeout: z.enum(['escalate', 'abort']).default('escalate'),
      })
      .strict()
      .default({}),
    monitoring: z
      .object({
        errorRate: errorRateSource,
        latency: latencySource.optional(),
        intervalMinutes: z.number().positive().default(5),
        /** This many failed probes in a row count as a complete outage. */
        failedProbesForOutage: z.number().int().positive().default(3),
      })
      .strict()
      .optional(),
    /** After the rollback: healthy means this many readings in a row below the P2 threshold. */
    verification: z
      .object({
        healthyReadings: z.number().int().positive().default(3),
        intervalMinutes: z.number().positive().default(1),
        /** Give up (unhealthy, or not verified) when the readings are not healthy by then. */
        windowMinutes: z.number().positive().default(10),
        /**
         * The verification suite's checks (docs/verification.md), run after the rollback by a
         * `verifyRollback` child beside the readings above; their verdict joins the incident's.
         */
        checks: checkList.default([]),
      })
      .strict()
      .default({}),
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

/**
 * The decision matrix applied to an input or alert: the worst of the explicit severity and the
 * signals (an explicit "P3" never hides an observed outage).
 */
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
  return classifyWorst(observed.severity, signals, t);
}

// Human input, by signal or update. Each names who acted. `confirm` is in ./confirmation.ts.
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
/** Most alerts one `alerts` signal carries (each under 1 KB: a batch stays far below Temporal's 2 MB payload limit). */
export const MAX_ALERTS_PER_SIGNAL = 500;
/**
 * Alerts that arrived together, counted one by one (the trigger coalesces concurrent alerts for one
 * incident into one signal). Each alert is validated on its own, so one malformed alert is ignored
 * without losing the others.
 */
export const alertBatchSignal = z.object({ alerts: z.array(z.unknown()).min(1).max(MAX_ALERTS_PER_SIGNAL) }).strict();
/** An alert that stopped firing (Alertmanager `resolved`, PagerDuty `incident.resolved`, CloudWatch OK). */
export const alertResolvedSignal = z.object({ source: z.string().optional(), summary: z.string().optional() }).strict();
export const acknowledgeFollowUpRequest = z
  .object({ stage: z.enum(FOLLOW_UP_STAGE_IDS), by: person, notes: z.string().optional() })
  .strict();

export type RejectRequest = z.infer<typeof rejectRequest>;
export type EscalateRequest = z.infer<typeof escalateRequest>;
export type InvestigationResult = z.infer<typeof investigationResult>;
export type AbortRequest = z.infer<typeof abortRequest>;
export type ChecklistItemRequest = z.infer<typeof checklistItemRequest>;
export type AlertSignal = z.infer<typeof alertSignal>;
export type AlertResolvedSignal = z.infer<typeof alertResolvedSignal>;
export interface AlertBatchSignal {
  alerts: AlertSignal[];
}
export type AcknowledgeFollowUpRequest = z.infer<typeof acknowledgeFollowUpRequest>;

/** `rollback-<environment>-<service>`: one running incident per service and environment. */
export function incidentWorkflowId(environment: string, service: string): string {
  return `rollback-${environment}-${service}`;
}
