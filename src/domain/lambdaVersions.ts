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
