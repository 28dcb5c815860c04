// The rollback guard on a Deployment (contract.ts): a rollback records on the Deployment the
// pod-template-hash and revision it rolled back from. Template hashes survive kubectl's undo
// (revisions renumber), and the Deployment controller copies the annotation to the ReplicaSet it
// rolls to, so marks are read from the Deployment and every ReplicaSet it owns.
import type { LastRollback } from '../procedures/contract.js';
import type { Deployment, ReplicaSet } from './objects.js';
import { POD_TEMPLATE_HASH_LABEL, revisionOf, templatesEqualIgnoringHash } from './rollout.js';

export const ROLLED_BACK_FROM_ANNOTATION = 'rollback-orchestrator.io/rolled-back-from';
/** The annotation keeps the newest marks only, so it stays small. */
const MAX_MARKS = 10;

export interface RollbackMark {
  /** The pod-template-hash of the template rolled back from. */
  templateHash: string;
  /** Its revision at the time (revisions renumber; the hash does not). */
  revision: number;
  /** ISO 8601, from the rolling-back workflow's clock. */
  at: string;
  /** The workflow ID that rolled back. */
  by?: string;
}

function isMark(value: unknown): value is RollbackMark {
  const m = value as Partial<RollbackMark> | null;
  return typeof m?.templateHash === 'string' && typeof m.revision === 'number' && typeof m.at === 'string';
}

/** The marks in one object's annotations; a malformed annotation (edited by hand) counts as none. */
export function readMarks(annotations: Record<string, string> | undefined): RollbackMark[] {
  const raw = annotations?.[ROLLED_BACK_FROM_ANNOTATION];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isMark) : [];
  } catch {
    return [];
  }
}

/** Every mark on the Deployment and its ReplicaSets, once each, oldest first. */
export function marksOf(deployment: Deployment, owned: ReplicaSet[]): RollbackMark[] {
  const all = [deployment, ...owned].flatMap((o) => readMarks(o.metadata.annotations));
  const unique = new Map(all.map((m) => [`${m.templateHash}@${m.at}`, m]));
  return [...unique.values()].sort((a, b) => a.at.localeCompare(b.at));
}

/** The annotation value with `mark` added. */
export function withMark(marks: RollbackMark[], mark: RollbackMark): string {
  const next = marks.filter((m) => !(m.templateHash === mark.templateHash && m.at === mark.at));
  return JSON.stringify([...next, mark].slice(-MAX_MARKS));
}

export function hashOf(rs: ReplicaSet): string | undefined {
  return rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

/** The ReplicaSet holding the Deployment's current template (kubectl's "new" ReplicaSet), if made yet. */
export function currentReplicaSet(deployment: Deployment, owned: ReplicaSet[]): ReplicaSet | undefined {
  return owned
    .filter((rs) => templatesEqualIgnoringHash(rs.spec.template, deployment.spec.template))
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0))[0];
}

/** "revision 3 (template 6d9f7c5b8)". */
export function describeRevision(revision: number, templateHash: string | undefined): string {
  return templateHash ? `revision ${revision} (template ${templateHash})` : `revision ${revision}`;
}

export function lastRollbackOf(marks: RollbackMark[]): LastRollback | undefined {
  const newest = marks[marks.length - 1];
  return newest && { at: newest.at, from: describeRevision(newest.revision, newest.templateHash), by: newest.by };
}

/** The refusal when a rollback's destination carries a mark. */
export function markedTargetMessage(
  deployment: string,
  target: { revision: number; templateHash: string },
  mark: RollbackMark,
): string {
  return (
    `deployment.apps/${deployment}: ${describeRevision(target.revision, target.templateHash)} was rolled back from ` +
    `at ${mark.at} by ${mark.by ?? 'an unknown workflow'}; pass allowMarkedTarget to roll onto it anyway`
  );
}
