// What the Web UI reads from a run's history without a query: each event's user-metadata summary.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';

/** Every event's summary, as "<event type>: <summary>" ("timerStarted: SLA warning at 80% ..."). */
export async function eventSummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const payload = event.userMetadata?.summary;
    if (!payload) return [];
    const type = Object.keys(event).find((k) => k.endsWith('EventAttributes'))!;
    return [`${type.replace(/EventAttributes$/, '')}: ${defaultPayloadConverter.fromPayload<string>(payload)}`];
  });
}
