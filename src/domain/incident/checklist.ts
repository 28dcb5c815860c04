// The runbook's "Rollback Checklist", item for item. The workflow ticks the items it does itself;
// people tick the rest with the `checklistItem` signal (by id or by the runbook's wording).

export const CHECKLIST = [
  { id: 'severity-assessed', text: 'Incident severity assessed', auto: true },
  { id: 'commander-assigned', text: 'Incident commander assigned', auto: true },
  { id: 'stakeholders-notified', text: 'Stakeholders notified', auto: true },
  { id: 'rollback-executed', text: 'Rollback command executed', auto: true },
  { id: 'progress-monitored', text: 'Rollback progress monitored', auto: true },
  { id: 'health-checks-passed', text: 'Health checks passed', auto: true },
  { id: 'metrics-normal', text: 'Metrics returned to normal', auto: true },
  { id: 'alarms-cleared', text: 'Alarms cleared', auto: false },
  { id: 'status-page-updated', text: 'Status page updated', auto: false },
  { id: 'team-notified', text: 'Team notified', auto: true },
  { id: 'rollback-documented', text: 'Rollback documented', auto: true },
  { id: 'postmortem-scheduled', text: 'Postmortem scheduled', auto: false },
] as const;

export type ChecklistItemId = (typeof CHECKLIST)[number]['id'];

export interface ChecklistItemState {
  id: ChecklistItemId;
  text: string;
  /** True when the workflow can tick it itself (some only when it has the data, e.g. a health URL). */
  auto: boolean;
  done: boolean;
  by?: string;
  at?: string;
  notes?: string;
}

export function newChecklist(): ChecklistItemState[] {
  return CHECKLIST.map((item) => ({ id: item.id, text: item.text, auto: item.auto, done: false }));
}

/** Finds an item by id or by its runbook text, ignoring case and a leading "[ ]". */
export function findChecklistItem(items: ChecklistItemState[], ref: string): ChecklistItemState | undefined {
  const wanted = ref
    .replace(/^-?\s*\[[ x]?\]\s*/i, '')
    .trim()
    .toLowerCase();
  return items.find((item) => item.id === wanted || item.text.toLowerCase() === wanted);
}

/** Ticks an item once; returns false when it was already done (the first tick is kept). */
export function tick(item: ChecklistItemState, by: string, at: string, notes?: string): boolean {
  if (item.done) return false;
  Object.assign(item, { done: true, by, at }, notes ? { notes } : {});
  return true;
}

/** A `checklistItem { item, by, notes }` request applied: the item ticked, or why it was not. */
export function tickByRequest(
  items: ChecklistItemState[],
  req: { item: string; by: string; notes?: string },
  at: string,
): { ticked: ChecklistItemState } | { ignored: string } {
  const item = findChecklistItem(items, req.item);
  if (!item) return { ignored: `checklist item "${req.item}" is not on the runbook's checklist` };
  if (!tick(item, req.by, at, req.notes))
    return { ignored: `checklist: ${item.text} was already ticked by ${item.by}` };
  return { ticked: item };
}
