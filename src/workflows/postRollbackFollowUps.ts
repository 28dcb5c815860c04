// Runbook "Post-Rollback Actions": reminders at 1 hour, 24 hours and 1 week after a rollback,
// each listing the runbook's items. A stage acknowledged by signal is not reminded. The incident
// starts this as an abandoned child, so it outlives the incident; the checklist items still
// open when the incident closed can be ticked here.
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { renderFollowUpReminder } from '../domain/incident/announcements.js';
import { newChecklist, tickByRequest, type ChecklistItemState } from '../domain/incident/checklist.js';
import { FOLLOW_UP_STAGES } from '../domain/incident/followUps.js';
import { followUpReminderTimerSummary } from '../domain/incident/summaries.js';
import { acknowledgeFollowUpRequest, checklistItemRequest } from '../domain/schemas/incidentRollback.js';
import { postRollbackFollowUpsInput } from '../domain/schemas/postRollbackFollowUps.js';
import { Notifier } from './incident/notifier.js';
import {
  acknowledgeFollowUpSignal,
  checklistItemSignal,
  checklistQuery,
  followUpsQuery,
  timelineQuery,
} from './incident/messages.js';
import type { FollowUpsStatus, FollowUpStageStatus } from './incident/types.js';
import type { TimelineEntry } from '../domain/incident/timeline.js';
import { parseInput } from './support/input.js';
import { acceptSignal, type Recorder } from './support/signals.js';

export async function postRollbackFollowUps(rawInput: unknown): Promise<FollowUpsStatus> {
  const input = parseInput(postRollbackFollowUpsInput, rawInput, 'postRollbackFollowUps');
  const fromMs = input.completedAt ? Date.parse(input.completedAt) : workflowInfo().startTime.getTime();
  const checklist = (input.checklist as ChecklistItemState[] | undefined) ?? newChecklist();
  const timeline: TimelineEntry[] = [];
  const record: Recorder = (kind, message, by) => {
    timeline.push({ at: new Date().toISOString(), kind, ...(by ? { by } : {}), message });
  };
  const stages: FollowUpStageStatus[] = FOLLOW_UP_STAGES.map((s) => ({
    id: s.id,
    title: s.title,
    items: s.items,
    dueAt: new Date(fromMs + s.dueAfterMs).toISOString(),
  }));
  const status = (): FollowUpsStatus => ({ incidentId: input.incidentId, stages });

  setHandler(acknowledgeFollowUpSignal, (raw) =>
    acceptSignal(record, 'acknowledgeFollowUp', acknowledgeFollowUpRequest, raw, (req) => {
      const stage = stages.find((s) => s.id === req.stage)!;
      if (stage.acknowledgedBy) return;
      Object.assign(stage, { acknowledgedBy: req.by, acknowledgedAt: new Date().toISOString() });
      record('checklist', `follow-ups acknowledged: ${stage.title}`, req.by);
    }),
  );
  setHandler(checklistItemSignal, (raw) =>
    acceptSignal(record, 'checklistItem', checklistItemRequest, raw, (req) => {
      const outcome = tickByRequest(checklist, req, new Date().toISOString());
      if ('ignored' in outcome) record('ignored', outcome.ignored, req.by);
      else record('checklist', `checklist: ${outcome.ticked.text}`, req.by);
    }),
  );
  setHandler(followUpsQuery, status);
  setHandler(checklistQuery, () => checklist);
  setHandler(timelineQuery, () => timeline);

  const notifier = new Notifier(record, () => ({
    incidentId: input.incidentId,
    service: input.service,
    environment: input.environment,
  }));
  for (const stage of stages) {
    const acknowledged = () => stage.acknowledgedBy !== undefined;
    const ms = Date.parse(stage.dueAt) - Date.now();
    if (ms > 0 && (await condition(acknowledged, ms, { summary: followUpReminderTimerSummary(stage.title) }))) continue;
    if (acknowledged()) continue;
    stage.remindedAt = new Date().toISOString();
    const open = checklist.filter((i) => !i.done).map((i) => i.text);
    const text = renderFollowUpReminder(input, stage.title, stage.items, open);
    notifier.send('follow-up-reminder', text, input.channels);
  }
  await notifier.flush();
  return status();
}
