// Pure rules of the RDS restore procedures: which snapshots to offer, which instance states end a
// restore, how often to poll, how a restored instance records its source, and the restorable
// window of point-in-time recovery.

export interface SnapshotInfo {
  snapshotId: string;
  instanceId: string;
  createdAt?: string;
  status?: string;
  type?: string;
}

/** The runbook's `reverse(sort_by(DBSnapshots,&SnapshotCreateTime))[:5]`: newest first. */
export function newestSnapshots(snapshots: readonly SnapshotInfo[], count = 5): SnapshotInfo[] {
  return [...snapshots]
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.snapshotId.localeCompare(a.snapshotId))
    .slice(0, count);
}

/**
 * The snapshots taken strictly before `before` (the time the corruption was detected): a snapshot
 * taken at or after it may already hold the bad data. Without `before`, all of them.
 */
export function snapshotsBefore(snapshots: readonly SnapshotInfo[], before?: string): SnapshotInfo[] {
  if (!before) return [...snapshots];
  const limit = Date.parse(before);
  return snapshots.filter((s) => s.createdAt !== undefined && Date.parse(s.createdAt) < limit);
}

/** Why a snapshot cannot be restored under `before`, or undefined when it can. */
export function snapshotAfterBefore(snapshot: SnapshotInfo, before?: string): string | undefined {
  if (!before) return undefined;
  if (!snapshot.createdAt)
    return `snapshot "${snapshot.snapshotId}" has no creation time yet, so it cannot be shown to predate before ${before}`;
  if (Date.parse(snapshot.createdAt) < Date.parse(before)) return undefined;
  return `snapshot "${snapshot.snapshotId}" was created at ${snapshot.createdAt}, not before before=${before} (the corruption's detection: it may hold bad data); give an earlier snapshotId, or a later before if the data was still good then`;
}

/** States from which an instance never becomes available on its own (RDS DBInstanceStatus values). */
export const TERMINAL_INSTANCE_STATES: readonly string[] = [
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-credentials',
  'restore-error',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'deleting',
  'deleted',
];

export function isTerminalInstanceState(status: string): boolean {
  return TERMINAL_INSTANCE_STATES.includes(status);
}

/** Seconds to wait before poll number `polls + 1`: 5 s growing by half each time, at most `maxSeconds`. */
export function nextPollDelaySeconds(polls: number, maxSeconds = 30): number {
  return Math.min(maxSeconds, Math.round(5 * 1.5 ** Math.max(0, polls - 1)));
}

// Tags that a restore puts on the instance it creates, so a retry can tell its own target from an
// unrelated instance that happens to have the same identifier.
export const SOURCE_TAG = 'rollback-orchestrator:restored-from';

export type RestoreSource =
  { kind: 'snapshot'; snapshotId: string } | { kind: 'point-in-time'; sourceInstanceId: string; restoreTime: string };

export function sourceTagValue(source: RestoreSource): string {
  return source.kind === 'snapshot'
    ? `snapshot:${source.snapshotId}`
    : `point-in-time:${source.sourceInstanceId}@${source.restoreTime}`;
}

export function describeSource(source: RestoreSource): string {
  return source.kind === 'snapshot'
    ? `snapshot "${source.snapshotId}"`
    : `instance "${source.sourceInstanceId}" at ${source.restoreTime}`;
}

/** The identifier RDS accepts: a letter first, letters, digits and single hyphens, at most 63. */
export function isValidInstanceId(id: string): boolean {
  return /^[a-zA-Z](?:-?[a-zA-Z0-9])*$/.test(id) && id.length <= 63;
}

/** The default target: `<source>-restored-<yyyymmddhhmm>` from the workflow's start time. */
export function defaultTargetInstanceId(sourceInstanceId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const suffix = `-restored-${stamp}`;
  return `${sourceInstanceId.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/**
 * The endpoint a new instance will have: RDS endpoints are `<id>.<account-and-region hash>.<region>
 * .rds.amazonaws.com`, so the source's endpoint with the identifier replaced. Undefined when the
 * source endpoint does not start with the source's identifier.
 */
export function predictEndpoint(
  sourceEndpoint: string | undefined,
  sourceInstanceId: string,
  targetInstanceId: string,
): string | undefined {
  const prefix = `${sourceInstanceId.toLowerCase()}.`;
  if (!sourceEndpoint?.toLowerCase().startsWith(prefix)) return undefined;
  return `${targetInstanceId.toLowerCase()}.${sourceEndpoint.slice(prefix.length)}`;
}

export interface RestorableWindow {
  earliest?: string;
  latest?: string;
}

/**
 * Checks a point-in-time against the window RDS reports (either bound may be unknown). Returns a
 * reason when the time is outside it, undefined when it is inside or cannot be checked.
 */
export function restoreTimeOutsideWindow(restoreTime: string, window: RestorableWindow): string | undefined {
  const t = Date.parse(restoreTime);
  if (window.earliest && t < Date.parse(window.earliest)) {
    return `is before the earliest restorable time ${window.earliest}`;
  }
  if (window.latest && t > Date.parse(window.latest)) {
    return `is after the latest restorable time ${window.latest}`;
  }
  return undefined;
}

/**
 * The point in time a point-in-time restore goes to, fixed when it is planned: `restoreTime` as
 * given, or for "latest" with a `before`, the latest restorable time capped at `before` (so the
 * restore never reaches past the detection, however long the plan waits to be applied).
 */
export function resolveRestoreTime(restoreTime: string, before: string | undefined, window: RestorableWindow): string {
  if (restoreTime !== 'latest' || !before) return restoreTime;
  if (window.latest && Date.parse(window.latest) < Date.parse(before)) return window.latest;
  return new Date(Date.parse(before)).toISOString();
}

/** Why `restoreTime` is refused under `before`, or undefined. */
export function restoreTimeAfterBefore(restoreTime: string, before?: string): string | undefined {
  if (!before || restoreTime === 'latest') return undefined;
  return Date.parse(restoreTime) > Date.parse(before)
    ? `is after before=${before} (the corruption's detection: data from then on may be bad)`
    : undefined;
}

/**
 * Network and parameter settings of a restored instance. RDS gives a restore the default security
 * group, the engine's default parameter group and no subnet group unless told otherwise, which
 * can leave the application unable to reach it: each one not given defaults to the source's.
 */
export interface RestoreSettings {
  instanceClass?: string;
  securityGroupIds?: string[];
  subnetGroupName?: string;
  dbParameterGroupName?: string;
  optionGroupName?: string;
}

export function restoreSettings(given: RestoreSettings, source: RestoreSettings | undefined): RestoreSettings {
  const settings: RestoreSettings = {
    instanceClass: given.instanceClass,
    securityGroupIds: given.securityGroupIds ?? nonEmpty(source?.securityGroupIds),
    subnetGroupName: given.subnetGroupName ?? source?.subnetGroupName,
    dbParameterGroupName: given.dbParameterGroupName ?? source?.dbParameterGroupName,
    // The engine's default option group ("default:postgres-13") is what RDS uses anyway, and
    // naming it explicitly is refused by some engines.
    optionGroupName:
      given.optionGroupName ?? (source?.optionGroupName?.startsWith('default:') ? undefined : source?.optionGroupName),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as RestoreSettings;
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

/** What the wait reports after each poll, to the workflow's `status` query and the heartbeat. */
export interface InstanceProgress {
  instanceId: string;
  status: string;
  elapsedSeconds: number;
  polls: number;
  available: boolean;
  endpoint?: string;
  port?: number;
}

/** One line for a terminal: `orders-restored  creating  4m05s elapsed  12 polls  (limit 3h00m00s)`. */
export function progressLine(progress: Omit<InstanceProgress, 'available'>, maxWaitSeconds: number): string {
  return `${progress.instanceId}  ${progress.status}  ${formatDuration(progress.elapsedSeconds)} elapsed  ${progress.polls} polls  (limit ${formatDuration(maxWaitSeconds)})`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(rest).padStart(2, '0')}s`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}
