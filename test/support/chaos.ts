// Support of the chaos test (test/chaos/chaos.test.ts): the activity boundaries of an incident and
// its child workflows read from their histories, and a seeded random for the kills inside waits.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { HistoryEvent } from '../../tools/histories.js';
import { waitFor } from './ports.js';

/** An activity that completed: `<workflow role>/<activity type>#<n-th of that type in the role>`. */
export interface Boundary {
  key: string;
  /** The workflow id, with the incident's id replaced by `incident`. */
  role: string;
  workflowId: string;
  activityType: string;
  completedAtMs: number;
}

/** An activity as scheduled: when, and how long a worker that dies holding it keeps it. */
export interface Scheduled {
  scheduledAtMs: number;
  /** The heartbeat timeout when it has one, else its start-to-close timeout. */
  lostAfterMs: number;
}

/**
 * The children an incident starts are named `<incident>-<n>-<type>` (apply), `...-plan` (dry run)
 * and `<incident>-verify-<runId>`; a procedure names its `verifyRollback` child `<its id>-verify`.
 * A role is that name without the incident's id, so two incidents' boundaries compare.
 */
export function roleOf(workflowId: string, incidentId: string): string {
  if (workflowId === incidentId) return 'incident';
  return workflowId.startsWith(`${incidentId}-`)
    ? workflowId.slice(incidentId.length + 1).replace(/^verify-.*/, 'verify')
    : workflowId;
}

/** The workflow id of `role` in the incident `incidentId` (the inverse of roleOf). */
export async function workflowIdOf(client: Client, role: string, incidentId: string): Promise<string> {
  if (role === 'incident') return incidentId;
  if (role !== 'verify') return `${incidentId}-${role}`;
  return `${incidentId}-verify-${(await client.workflow.getHandle(incidentId).describe()).runId}`;
}

/**
 * Every run of one workflow, oldest first (restores continue as new while they wait). The runs it
 * continued from never change, so they are read once and kept in `cache`.
 */
async function runsOf(
  client: Client,
  workflowId: string,
  cache: Map<string, HistoryEvent[]>,
): Promise<HistoryEvent[][]> {
  // The latest run first (one call while it runs), then the runs it continued from.
  const latest = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const runs: HistoryEvent[][] = [latest];
  let runId = latest[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  while (runId) {
    let events = cache.get(runId);
    if (!events) {
      events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      cache.set(runId, events);
    }
    runs.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * Completed activities of one workflow (all its runs), in order, the children it started, and the
 * attempts its activities were started on, by type.
 */
export async function completedActivities(
  client: Client,
  workflowId: string,
  incidentId: string,
  cache = new Map<string, HistoryEvent[]>(),
): Promise<{ boundaries: Boundary[]; children: string[]; attempts: Record<string, number[]>; scheduled: Scheduled[] }> {
  const role = roleOf(workflowId, incidentId);
  const boundaries: Boundary[] = [];
  const schedules: Scheduled[] = [];
  const children: string[] = [];
  const attempts: Record<string, number[]> = {};
  const seen = new Map<string, number>();
  for (const events of await runsOf(client, workflowId, cache)) {
    const scheduled = new Map<string, string>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) {
        scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
        const heartbeat = durationMs(s.heartbeatTimeout);
        schedules.push({ scheduledAtMs: eventTimeMs(e), lostAfterMs: heartbeat || durationMs(s.startToCloseTimeout) });
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) (attempts[scheduled.get(String(started.scheduledEventId)) ?? '?'] ??= []).push(started.attempt ?? 1);
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
      if (child?.workflowId) children.push(child.workflowId);
      const done = e.activityTaskCompletedEventAttributes;
      if (!done) continue;
      const activityType = scheduled.get(String(done.scheduledEventId)) ?? '?';
      const n = (seen.get(activityType) ?? 0) + 1;
      seen.set(activityType, n);
      boundaries.push({
        key: `${role}/${activityType}#${n}`,
        role,
        workflowId,
        activityType,
        completedAtMs: eventTimeMs(e),
      });
    }
  }
  return { boundaries, children, attempts, scheduled: schedules };
}

function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : 0;
}

function eventTimeMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

/** Every completed activity of the incident and its children (and theirs), in the order they completed. */
export async function incidentBoundaries(client: Client, incidentId: string): Promise<Boundary[]> {
  return (await incidentActivities(client, incidentId)).boundaries;
}

/** The boundaries of the incident's tree, and every activity it scheduled, each in time order. */
export async function incidentActivities(
  client: Client,
  incidentId: string,
): Promise<{ boundaries: Boundary[]; scheduled: Scheduled[] }> {
  const boundaries: Boundary[] = [];
  const scheduled: Scheduled[] = [];
  const queue = [incidentId];
  for (let id = queue.shift(); id; id = queue.shift()) {
    const found = await completedActivities(client, id, incidentId);
    boundaries.push(...found.boundaries);
    scheduled.push(...found.scheduled);
    queue.push(...found.children);
  }
  boundaries.sort((a, b) => a.completedAtMs - b.completedAtMs);
  scheduled.sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
  return { boundaries, scheduled };
}

/** A started workflow task held by a dead worker is given back after this (the server's default). */
const WORKFLOW_TASK_TIMEOUT_MS = 10_000;

/**
 * What a kill right after `boundary` costs, roughly: the next activity is usually scheduled, and
 * taken by the worker, within a moment of it, and is retried only once its heartbeat or
 * start-to-close timeout has passed; otherwise a workflow task waits for its timeout.
 */
export function killCostMs(boundary: Boundary, scheduled: Scheduled[]): number {
  const next = scheduled.find((s) => s.scheduledAtMs >= boundary.completedAtMs);
  if (!next || next.scheduledAtMs - boundary.completedAtMs > 2_000) return WORKFLOW_TASK_TIMEOUT_MS;
  return Math.max(next.lostAfterMs, WORKFLOW_TASK_TIMEOUT_MS);
}

/**
 * Deals the boundaries to `lanes` runs so their kills cost about the same in each (longest first,
 * each to the cheapest lane so far); a lane kills its boundaries in the clean run's order.
 */
export function dealBoundaries(boundaries: Boundary[], scheduled: Scheduled[], lanes: number): Boundary[][] {
  const dealt = Array.from({ length: lanes }, () => ({ cost: 0, boundaries: [] as Boundary[] }));
  const byCost = boundaries
    .map((b, order) => ({ b, order, cost: killCostMs(b, scheduled) }))
    .sort((x, y) => y.cost - x.cost || x.order - y.order);
  for (const { b, cost } of byCost) {
    const lane = dealt.reduce((min, l) => (l.cost < min.cost ? l : min));
    lane.cost += cost;
    lane.boundaries.push(b);
  }
  const order = new Map(boundaries.map((b, i) => [b.key, i]));
  return dealt.map((l) => l.boundaries.sort((x, y) => order.get(x.key)! - order.get(y.key)!));
}

/**
 * Resolves true once `key` has completed in `workflowId`, or false when its runs ended without it
 * or it never started before `closed()` (the incident's end). The history is followed with long
 * polls (the server answers as events arrive), so a kill comes right after the completion and
 * many lanes add no polling load to the server.
 */
export async function boundaryReached(
  client: Client,
  workflowId: string,
  incidentId: string,
  key: string,
  closed: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const role = roleOf(workflowId, incidentId);
  const namespace = client.options.namespace;
  const scheduled = new Map<string, string>();
  const seen = new Map<string, number>();
  // Each run numbers its events from 1: the scheduled ids are per run.
  const completes = (e: HistoryEvent): boolean => {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
    const done = e.activityTaskCompletedEventAttributes;
    if (!done) return false;
    const type = scheduled.get(String(done.scheduledEventId)) ?? '?';
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return `${role}/${type}#${n}` === key;
  };
  // The latest run's id (once the workflow exists), and the runs it continued from.
  let runId: string | undefined;
  for (;;) {
    try {
      runId = (await client.workflow.getHandle(workflowId).describe()).runId;
      break;
    } catch (error) {
      if ((error as { name?: string }).name !== 'WorkflowNotFoundError') throw error;
      if (closed() || Date.now() > deadline) return false; // never started
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const earlier: HistoryEvent[][] = [];
  let before = await firstEventOf(client, workflowId, runId);
  while (before) {
    const events = (await client.workflow.getHandle(workflowId, before).fetchHistory()).events ?? [];
    earlier.unshift(events);
    before = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  for (const events of earlier) {
    scheduled.clear();
    if (events.some(completes)) return true;
  }
  scheduled.clear();
  // Then the latest run from its start, as it grows.
  let token: Uint8Array | undefined;
  let next: string | undefined;
  while (Date.now() < deadline) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId, runId },
      nextPageToken: token,
      waitNewEvent: true,
    });
    for (const e of (page.history?.events ?? []) as HistoryEvent[]) {
      if (completes(e)) return true;
      next = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? next;
    }
    token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    if (token) continue;
    if (!next) return false; // the run closed without it
    // It continued as new: follow the new run from its start.
    runId = next;
    next = undefined;
    scheduled.clear();
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for activity ${key} to complete in ${workflowId}`);
}

/** The run a run continued from, read from its first event. */
async function firstEventOf(client: Client, workflowId: string, runId: string): Promise<string | undefined> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  return page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
}

/** The running activity of this type in `handle`, once a worker has started it. */
export async function activityRunning(handle: WorkflowHandle, activityType: string, timeoutMs: number): Promise<Date> {
  return waitFor(
    `${activityType} running in ${handle.workflowId}`,
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const running = pending.find((a) => a.activityType?.name === activityType && a.lastStartedTime);
      if (!running?.lastStartedTime) return undefined;
      const t = running.lastStartedTime;
      return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
    },
    timeoutMs,
    250,
  );
}
