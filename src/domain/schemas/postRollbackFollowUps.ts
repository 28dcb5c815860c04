import { z } from 'zod';
import { CHECKLIST } from '../incident/checklist.js';
import { resourceName } from './common.js';
import { notificationChannel } from './incidentRollback.js';

const checklistItemState = z
  .object({
    id: z.enum(CHECKLIST.map((i) => i.id) as [string, ...string[]]),
    text: z.string(),
    auto: z.boolean(),
    done: z.boolean(),
    by: z.string().optional(),
    at: z.string().optional(),
    notes: z.string().optional(),
  })
  .strict();

export const postRollbackFollowUpsInput = z
  .object({
    incidentId: resourceName,
    service: resourceName,
    environment: resourceName,
    /** When the rollback completed; reminders count from here. Defaults to the start time. */
    completedAt: z.string().datetime({ offset: true }).optional(),
    channels: z.array(notificationChannel).default([{ channel: 'log' }]),
    /** The incident's checklist as it closed, so the items still open can be ticked here. */
    checklist: z.array(checklistItemState).optional(),
  })
  .strict();

export type PostRollbackFollowUpsInput = z.input<typeof postRollbackFollowUpsInput>;
