// When a time-skipping test hangs, jest only says "Exceeded timeout". This races a step against a
// deadline and, when it loses, fails with what the server holds: pending activities (state,
// attempt), the pending workflow task, and the last history events, so a stall names its cause.
import type { WorkflowHandle } from '@temporalio/client';

export async function orStallReport<T>(step: Promise<T>, handle: WorkflowHandle, afterMs = 90_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => {
    timer = setTimeout(() => resolve('stalled'), afterMs);
  });
  try {
    const first = await Promise.race([step, stalled]);
    if (first !== 'stalled') return first as T;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`stalled for ${afterMs} ms: ${await report(handle)}`);
}

async function report(handle: WorkflowHandle): Promise<string> {
  const { raw } = await handle.describe();
  const activities = (raw.pendingActivities ?? []).map(
    (a) => `${a.activityType?.name} state=${a.state} attempt=${a.attempt}`,
  );
  const task = raw.pendingWorkflowTask ? `state=${raw.pendingWorkflowTask.state}` : 'none';
  const { events } = await handle.fetchHistory();
  // An event's kind is the name of its one attributes field (timerFiredEventAttributes -> timerFired).
  const kind = (e: object) =>
    Object.entries(e)
      .find(([k, v]) => k.endsWith('EventAttributes') && v)?.[0]
      .replace('EventAttributes', '');
  const tail = (events ?? []).slice(-15).map((e) => `${e.eventId} ${kind(e) ?? e.eventType}`);
  return `pending activities [${activities.join('; ')}], pending workflow task ${task}, last events [${tail.join(', ')}]`;
}
