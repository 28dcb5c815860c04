// What `helm history` means for a rollback (runbook "Kubernetes Application Rollback, Method 3"):
// which revision to roll back to, whether the release is locked by a pending operation, and
// whether a revision is the one a rollback of ours made. Pure: the activities read, this decides.
import type { LastRollback } from '../procedures/contract.js';

/** One row of `helm history -o json` (helm's own field names, app_version renamed). */
export interface HelmRevision {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  appVersion: string;
  description: string;
}

/**
 * The rollback guard on a release (contract.ts). Helm has no tags and `helm rollback` has no
 * `--description`, so the mark lives on the release's own storage object of the revision rolled
 * back from (the Secret sh.helm.release.v1.<release>.v<N>) as an annotation. Helm rewrites a
 * record only while it is the deployed or the newest one; once rolled back from, it is neither.
 */
export const HELM_ROLLED_BACK_FROM_ANNOTATION = 'rollback-orchestrator.io/rolled-back-from';

export interface HelmRollbackMark {
  /** The revision rolled back from. */
  revision: number;
  /** The revision rolled back to. */
  to: number;
  /** ISO 8601, from the rolling-back workflow's clock. */
  at: string;
  /** The workflow (or incident) that rolled back. */
  by?: string;
}

/** Statuses of a revision that was once running in the cluster. */
const WAS_DEPLOYED = new Set(['deployed', 'superseded']);
/** A newest revision in one of these holds helm's lock: "another operation ... is in progress". */
const PENDING = new Set(['pending-install', 'pending-upgrade', 'pending-rollback']);

export const HELM_LOCK_MESSAGE = 'another operation (install/upgrade/rollback) is in progress';

export function isPending(status: string): boolean {
  return PENDING.has(status);
}

/** The newest revision: what `helm rollback` calls the current release (`Releases.Last`). */
export function newestRevision(history: HelmRevision[]): HelmRevision | undefined {
  return history.reduce<HelmRevision | undefined>((a, b) => (a && a.revision > b.revision ? a : b), undefined);
}

/** The description helm gives the revision a rollback to `to` creates, and the ones it may end with. */
export function isRollbackRevisionTo(entry: HelmRevision, release: string, to: number): boolean {
  return (
    entry.description === `Rollback to ${to}` ||
    entry.description.startsWith(`Rollback "${release}" failed: `) ||
    // A rollback whose --wait or post-rollback hooks fail (install failures are revision 1 only).
    (entry.revision > 1 && entry.description.startsWith(`Release "${release}" failed: `))
  );
}

/** The revision whose chart and values `entry` carries: a rollback's copy is its source's. */
export function originOf(history: HelmRevision[], entry: HelmRevision): number {
  const seen = new Set<number>();
  let current = entry;
  for (;;) {
    const match = /^Rollback to ([0-9]+)$/.exec(current.description);
    if (!match || seen.has(current.revision)) return current.revision;
    seen.add(current.revision);
    const source = history.find((h) => h.revision === Number(match[1]));
    if (!source) return Number(match[1]);
    current = source;
  }
}

export interface HelmTargetChoice {
  current: HelmRevision;
  target: HelmRevision;
  /** Set when the release is locked and the target is helm's documented way out. */
  lock?: string;
  /** The mark that makes the target a rolled-back-from revision (refused without allowMarkedTarget). */
  targetMark?: HelmRollbackMark;
}

export class HelmPlanError extends Error {}

function markOn(marks: HelmRollbackMark[], history: HelmRevision[], entry: HelmRevision): HelmRollbackMark | undefined {
  const origin = originOf(history, entry);
  return marks.find((m) => m.revision === entry.revision || m.revision === origin);
}

/**
 * The rollback's destination. Given `toRevision`, that one (helm's "release has no N version"
 * when it is missing). Otherwise, when the newest revision is pending (helm's lock), the last
 * deployed revision: helm's documented way out. Otherwise the newest earlier revision that was
 * deployed, holds different content from the current one, and is not marked as rolled back from
 * (unless `allowMarkedTarget`).
 */
export function chooseTarget(
  release: string,
  history: HelmRevision[],
  marks: HelmRollbackMark[],
  options: { toRevision?: number; allowMarkedTarget?: boolean } = {},
): HelmTargetChoice {
  const current = newestRevision(history);
  if (!current) throw new HelmPlanError(`release: not found`);
  const lock = isPending(current.status)
    ? `revision ${current.revision} is ${current.status} (${HELM_LOCK_MESSAGE})`
    : undefined;
  if (options.toRevision !== undefined) {
    const target = history.find((h) => h.revision === options.toRevision);
    if (!target) throw new HelmPlanError(`release has no ${options.toRevision} version`);
    return { current, target, lock, targetMark: markOn(marks, history, target) };
  }
  const earlier = [...history].filter((h) => h.revision < current.revision).sort((a, b) => b.revision - a.revision);
  if (lock) {
    const lastDeployed = earlier.find((h) => h.status === 'deployed');
    if (!lastDeployed) {
      throw new HelmPlanError(`${lock}, and no earlier revision of "${release}" is deployed to roll back to`);
    }
    return { current, target: lastDeployed, lock, targetMark: markOn(marks, history, lastDeployed) };
  }
  const currentOrigin = originOf(history, current);
  const candidates = earlier.filter((h) => WAS_DEPLOYED.has(h.status) && originOf(history, h) !== currentOrigin);
  const target = candidates.find((h) => options.allowMarkedTarget || !markOn(marks, history, h));
  if (!target) {
    const marked = candidates.length > 0 ? ' that is not marked as rolled back from' : '';
    throw new HelmPlanError(
      `release "${release}" has no revision before ${current.revision} that was deployed with other content${marked} to roll back to`,
    );
  }
  return { current, target, targetMark: markOn(marks, history, target) };
}

/** `revision 3 (failed: Upgrade "web" failed: ...)`, for people. */
export function describeHelmRevision(entry: HelmRevision): string {
  return `revision ${entry.revision} (${entry.status}, ${entry.chart}: ${entry.description})`;
}

export function lastHelmRollbackOf(marks: HelmRollbackMark[]): LastRollback | undefined {
  const newest = [...marks].sort((a, b) => a.at.localeCompare(b.at)).pop();
  return newest && { at: newest.at, from: `revision ${newest.revision}`, ...(newest.by ? { by: newest.by } : {}) };
}

export function markedTargetMessage(release: string, target: HelmRevision, mark: HelmRollbackMark): string {
  const via = mark.revision === target.revision ? '' : ` (it is a copy of revision ${mark.revision})`;
  return (
    `helm: revision ${target.revision} of release "${release}"${via} was rolled back from at ${mark.at} by ` +
    `${mark.by ?? 'an unknown workflow'} (annotation ${HELM_ROLLED_BACK_FROM_ANNOTATION}); give allowMarkedTarget: true to roll back onto it anyway`
  );
}

/** A mark read from an annotation; a malformed one (edited by hand) counts as none. */
export function parseMark(revision: number, raw: string | undefined): HelmRollbackMark | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<HelmRollbackMark>;
    if (typeof value.at !== 'string' || typeof value.to !== 'number') return undefined;
    return { revision, to: value.to, at: value.at, ...(typeof value.by === 'string' ? { by: value.by } : {}) };
  } catch {
    return undefined;
  }
}
