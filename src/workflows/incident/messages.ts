// The incident workflow's signals, updates and queries, in one module that the workflows, the
// client helpers, the CLI and the tests all import. Payload shapes are in
// src/domain/schemas/incidentRollback.ts (and confirmation.ts for `confirm`); the workflow
// validates every payload it receives.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChecklistItemState } from '../../domain/incident/checklist.js';
import type { TimelineEntry } from '../../domain/incident/timeline.js';
import type {
  AbortRequest,
  AcknowledgeFollowUpRequest,
  AlertBatchSignal,
  AlertResolvedSignal,
  AlertSignal,
  ChecklistItemRequest,
  EscalateRequest,
  InvestigationResult,
  RejectRequest,
} from '../../domain/schemas/incidentRollback.js';
import type { ConfirmRequest } from '../../domain/schemas/confirmation.js';
import type { FollowUpsStatus, IncidentStatus } from './types.js';

export const confirmSignal = defineSignal<[ConfirmRequest]>('confirm');
export const rejectSignal = defineSignal<[RejectRequest]>('reject');
export const escalateSignal = defineSignal<[EscalateRequest]>('escalate');
export const investigationResultSignal = defineSignal<[InvestigationResult]>('investigationResult');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
export const alertSignal = defineSignal<[AlertSignal]>('alert');
/** Several alerts in one signal, each counted as an `alert` (the trigger's coalesced batches). */
export const alertsSignal = defineSignal<[AlertBatchSignal]>('alerts');
/** Sent by the trigger when an alert resolves; it can end P2 monitoring early, nothing else. */
export const alertResolvedSignal = defineSignal<[AlertResolvedSignal]>('alertResolved');
export const checklistItemSignal = defineSignal<[ChecklistItemRequest]>('checklistItem');

/** The answer to an accepted `confirm` or `reject` update. A refusal fails the update with the reason. */
export interface ApprovalReceipt {
  accepted: true;
  decision: 'confirmed' | 'rejected';
  by: string;
  phase: string;
}
export const confirmUpdate = defineUpdate<ApprovalReceipt, [ConfirmRequest]>('confirm');
export const rejectUpdate = defineUpdate<ApprovalReceipt, [RejectRequest]>('reject');

export const statusQuery = defineQuery<IncidentStatus>('status');
export const checklistQuery = defineQuery<ChecklistItemState[]>('checklist');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

// postRollbackFollowUps
export const acknowledgeFollowUpSignal = defineSignal<[AcknowledgeFollowUpRequest]>('acknowledgeFollowUp');
export const followUpsQuery = defineQuery<FollowUpsStatus>('followUps');
