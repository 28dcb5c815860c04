// kubectl's rollout semantics as pure functions over API objects: which ReplicaSet a rollback
// goes to (rollback.go), what it patches, and when a rollout is done (rollout_status.go).
import type { Deployment, PodTemplate, ReplicaSet } from './objects.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Annotations a rollback keeps from the Deployment instead of copying from the ReplicaSet. */
export const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export class RolloutError extends Error {
  constructor(
    readonly kind: 'RevisionNotFound' | 'NoHistory' | 'Paused',
    message: string,
  ) {
    super(message);
  }
}

/** ReplicaSets whose controller owner reference is this Deployment (by UID), as kubectl keeps them. */
export function ownedReplicaSets(deployment: Deployment, replicaSets: ReplicaSet[]): ReplicaSet[] {
  const uid = deployment.metadata.uid;
  return replicaSets.filter((rs) =>
    (rs.metadata.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === uid),
  );
}

/** The revision number of a ReplicaSet; a missing annotation is revision 0, as in kubectl. */
export function revisionOf(rs: ReplicaSet): number | undefined {
  const raw = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (raw === undefined) return 0;
  return /^-?[0-9]+$/.test(raw) ? Number(raw) : undefined;
}

export interface RevisionChoice {
  replicaSet: ReplicaSet;
  revision: number;
}

/**
 * The ReplicaSet to roll back to: `toRevision`, or when it is 0 the second-highest revision.
 * Messages are kubectl's.
 */
export function chooseRevision(deployment: Deployment, owned: ReplicaSet[], toRevision = 0): RevisionChoice {
  if (toRevision < 0) throw revisionNotFound(toRevision);
  let latest: RevisionChoice | undefined;
  let previous: RevisionChoice | undefined;
  for (const rs of owned) {
    const revision = revisionOf(rs);
    if (revision === undefined) continue;
    if (toRevision > 0) {
      if (revision === toRevision) return { replicaSet: rs, revision };
      continue;
    }
    if (latest === undefined || latest.revision < revision) {
      previous = latest;
      latest = { replicaSet: rs, revision };
    } else if (previous === undefined || previous.revision < revision) {
      previous = { replicaSet: rs, revision };
    }
  }
  if (toRevision > 0) throw revisionNotFound(toRevision);
  if (!previous) {
    throw new RolloutError('NoHistory', `no rollout history found for deployment "${deployment.metadata.name}"`);
  }
  return previous;
}

function revisionNotFound(revision: number): RolloutError {
  return new RolloutError('RevisionNotFound', `unable to find specified revision ${revision} in history`);
}

export function pausedError(name: string): RolloutError {
  return new RolloutError(
    'Paused',
    `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
  );
}

/** Drops what the API treats as absent (undefined, null, empty maps and lists) before comparing. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = normalize((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}

export function withoutHashLabel(template: PodTemplate): PodTemplate {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return copy;
}

/** kubectl's equalIgnoreHash: templates equal but for the pod-template-hash label. */
export function templatesEqualIgnoringHash(a: PodTemplate, b: PodTemplate): boolean {
  return (
    JSON.stringify(normalize(withoutHashLabel(a)) ?? null) === JSON.stringify(normalize(withoutHashLabel(b)) ?? null)
  );
}

/** The Deployment's annotations after a rollback: skipped ones kept, the rest from the ReplicaSet. */
export function rollbackAnnotations(deployment: Deployment, rs: ReplicaSet): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  }
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  }
  return annotations;
}

/**
 * The one JSON patch kubectl sends: replace the template and the annotations (`extra` annotations,
 * such as the rollback mark, are set on top).
 */
export function rollbackPatch(deployment: Deployment, rs: ReplicaSet, extra: Record<string, string> = {}): object[] {
  return [
    { op: 'replace', path: '/spec/template', value: withoutHashLabel(rs.spec.template) },
    { op: 'replace', path: '/metadata/annotations', value: { ...rollbackAnnotations(deployment, rs), ...extra } },
  ];
}

export interface RevisionEntry {
  revision: number;
  changeCause: string;
  replicaSet: string;
}

/** `kubectl rollout history`: revisions in order with their change-cause ("<none>" when unset). */
export function rolloutHistory(owned: ReplicaSet[]): RevisionEntry[] {
  const byRevision = new Map<number, RevisionEntry>();
  for (const rs of owned) {
    const revision = revisionOf(rs);
    if (revision === undefined) continue;
    byRevision.set(revision, {
      revision,
      changeCause: rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>',
      replicaSet: rs.metadata.name ?? '',
    });
  }
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}

export interface RolloutStatus {
  done: boolean;
  /** The rollout can no longer finish (progress deadline exceeded). */
  failed: boolean;
  message: string;
  replicas: { desired: number; updated: number; total: number; available: number };
}

/** kubectl's DeploymentStatusViewer, message for message. */
export function rolloutStatus(deployment: Deployment): RolloutStatus {
  const name = deployment.metadata.name;
  const s = deployment.status ?? {};
  const desired = deployment.spec.replicas ?? 1;
  const replicas = {
    desired,
    updated: s.updatedReplicas ?? 0,
    total: s.replicas ?? 0,
    available: s.availableReplicas ?? 0,
  };
  const waiting = (message: string) => ({ done: false, failed: false, message, replicas });
  if ((deployment.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return waiting('Waiting for deployment spec update to be observed...');
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline`, replicas };
  }
  if (deployment.spec.replicas !== undefined && replicas.updated < desired) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas.updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (replicas.total > replicas.updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas.total - replicas.updated} old replicas are pending termination...`,
    );
  }
  if (replicas.available < replicas.updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas.available} of ${replicas.updated} updated replicas are available...`,
    );
  }
  return { done: true, failed: false, message: `deployment "${name}" successfully rolled out`, replicas };
}
