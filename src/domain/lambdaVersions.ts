// Which Lambda version an alias rolls back to. Versions are published numbers; $LATEST is
// never a rollback target because it is mutable.

export function publishedVersions(versions: readonly string[]): number[] {
  return versions
    .filter((v) => /^[0-9]+$/.test(v))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The highest published version below `current`, or undefined when there is none. */
export function previousVersion(versions: readonly string[], current: string): string | undefined {
  const currentNumber = Number(current);
  if (!Number.isInteger(currentNumber)) return undefined;
  const older = publishedVersions(versions).filter((v) => v < currentNumber);
  const previous = older[older.length - 1];
  return previous === undefined ? undefined : String(previous);
}

// The rollback guard's mark (issue 9): Lambda tags belong to the function, not to a version, so
// one tag per alias lists the versions that alias was rolled back from, with the newest rollback's
// time and workflow. Tag values allow 256 characters of letters, digits, space and `_.:/=+-@`.

export const ROLLBACK_MARK_PREFIX = 'rollback-orchestrator.io/rolled-back-from.';
const TAG_KEY_LIMIT = 128;
const TAG_VALUE_LIMIT = 256;
const BY_LIMIT = 80;

export interface RollbackMark {
  /** Versions rolled back from, oldest first; the last is the newest rollback's. */
  versions: string[];
  /** ISO 8601 time of the newest rollback. */
  at: string;
  /** The workflow that made the newest rollback, when known. */
  by?: string;
}

/** The tag key that marks versions rolled back from behind `alias`. */
export function rollbackMarkKey(alias: string): string {
  return `${ROLLBACK_MARK_PREFIX}${alias}`.slice(0, TAG_KEY_LIMIT);
}

/** "versions=2/3 at=2026-11-28T03:50:00.000Z by=incident-42": fits Lambda's tag value rules. */
export function formatRollbackMark(mark: RollbackMark): string {
  const by = mark.by ? ` by=${mark.by.replace(/[^A-Za-z0-9_.:/=+\-@]/g, '_').slice(0, BY_LIMIT)}` : '';
  const versions = [...mark.versions];
  let value = `versions=${versions.join('/')} at=${mark.at}${by}`;
  // Forget the oldest versions rather than the newest when the list outgrows the tag.
  while (value.length > TAG_VALUE_LIMIT && versions.length > 1) {
    versions.shift();
    value = `versions=${versions.join('/')} at=${mark.at}${by}`;
  }
  return value;
}

/** The mark in a tag value, or undefined when the value is not one of ours. */
export function parseRollbackMark(value: string | undefined): RollbackMark | undefined {
  if (!value) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const versions = (fields.get('versions') ?? '').split('/').filter((v) => /^[0-9]+$/.test(v));
  const at = fields.get('at');
  if (versions.length === 0 || !at) return undefined;
  const by = fields.get('by');
  return by ? { versions, at, by } : { versions, at };
}

/** The mark after rolling back from `version` at `at` (the version moves to the newest place). */
export function addToRollbackMark(
  mark: RollbackMark | undefined,
  rollback: { version: string; at: string; by?: string },
): RollbackMark {
  const versions = (mark?.versions ?? []).filter((v) => v !== rollback.version);
  versions.push(rollback.version);
  return rollback.by ? { versions, at: rollback.at, by: rollback.by } : { versions, at: rollback.at };
}

/** The highest published version below `current` that is not in `skip`, or undefined. */
export function previousUnmarkedVersion(
  versions: readonly string[],
  current: string,
  skip: readonly string[],
): string | undefined {
  const currentNumber = Number(current);
  if (!Number.isInteger(currentNumber)) return undefined;
  const older = publishedVersions(versions).filter((v) => v < currentNumber && !skip.includes(String(v)));
  const previous = older[older.length - 1];
  return previous === undefined ? undefined : String(previous);
}
