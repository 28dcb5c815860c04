// Histories of a workflow that continued as new (tests and the bench): every run, newest first.
import type { Client, WorkflowHandle } from '@temporalio/client';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];

export async function runHistories(client: Client, workflowId: string): Promise<HistoryEvent[][]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    runs.push(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

export async function runHistoryLengths(client: Client, workflowId: string): Promise<number[]> {
  return (await runHistories(client, workflowId)).map((events) => events.length);
}

/** The activity types scheduled over all runs, in order. */
export async function scheduledActivities(client: Client, workflowId: string): Promise<string[]> {
  return (await runHistories(client, workflowId))
    .reverse()
    .flat()
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

/** The last heartbeat of the workflow's running activity, decoded, or undefined. */
export async function pendingHeartbeat<T>(handle: WorkflowHandle): Promise<T | undefined> {
  const pending = (await handle.describe()).raw.pendingActivities?.[0];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  return payload?.data ? (JSON.parse(Buffer.from(payload.data).toString()) as T) : undefined;
}
