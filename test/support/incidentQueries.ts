// Helpers for driving incident workflows from tests through their real signals, updates and queries,
// and their inputs. No SDK clients or servers here: the fast tests (test/workflows/fast/) load only this.
import type { WorkflowHandle } from '@temporalio/client';
import type { Phase } from '../../src/domain/incident/phases.js';
import type { TimelineEntry } from '../../src/domain/incident/timeline.js';
import type { IncidentStatus } from '../../src/workflows/incident/types.js';
import { statusQuery, timelineQuery } from '../../src/workflows/incident/messages.js';
import { waitFor } from './ports.js';

export async function status(handle: WorkflowHandle): Promise<IncidentStatus> {
  return handle.query(statusQuery);
}

export async function timeline(handle: WorkflowHandle): Promise<TimelineEntry[]> {
  return handle.query(timelineQuery);
}

export async function entries(handle: WorkflowHandle, kind: TimelineEntry['kind']): Promise<TimelineEntry[]> {
  return (await timeline(handle)).filter((e) => e.kind === kind);
}

/** Polls `status` (real time; the server's clock does not move) until the incident is in `phase`. */
export async function waitForPhase(handle: WorkflowHandle, phase: Phase): Promise<IncidentStatus> {
  let last: IncidentStatus | undefined;
  await waitFor(
    `phase ${phase}`,
    async () => {
      last = await status(handle);
      return last.phase === phase;
    },
    20_000,
    50,
  );
  return last!;
}

/** The P2 monitor reading the receiver's `/health` error ratio. */
export function healthMonitoring(receiverUrl: string, intervalMinutes?: number) {
  return { errorRate: { type: 'healthUrl', url: `${receiverUrl}/health` }, intervalMinutes };
}

/** Milliseconds from `fromMs` to `atIso`, for timers that fire within a few ms of their time. */
export function elapsed(fromMs: number, atIso: string | undefined): number {
  return Date.parse(atIso!) - fromMs;
}

/**
 * A P1 "major errors" incident rolling back `functionName`, announcing to the named channel
 * `slack` (read as the receiver's `/slack/<functionName>`) and escalating to `escalation`
 * (`/escalation/<functionName>`). `receiverUrl` is kept for the monitoring sources.
 */
export function p1Input(_receiverUrl: string, functionName: string, extra: Record<string, unknown> = {}) {
  return {
    service: functionName,
    environment: 'production',
    errorRatePct: 12,
    procedures: [{ type: 'lambdaAliasRollback', input: { functionName } }],
    reason: 'checkout errors after release 3',
    requestedBy: 'alertmanager',
    incidentCommander: 'ic-alice',
    notify: {
      channels: [{ channel: 'slack' }],
      escalation: [{ channel: 'escalation' }],
    },
    ...extra,
  };
}
