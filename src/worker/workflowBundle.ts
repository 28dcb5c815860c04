// The workflow bundle prebuilt by `npm run build` (scripts/bundleWorkflows.ts), so a worker starts
// polling in about a second instead of running webpack at every start. A bundle older than the
// compiled workflow code it was made from is ignored (a `tsc` without the bundling step), and the
// worker bundles at start as before: stale workflow code must never run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/workflow-bundle.js, beside dist/src/. */
export function prebuiltBundlePath(): string {
  return fileURLToPath(new URL('../../workflow-bundle.js', import.meta.url));
}

/** The compiled code the bundle may include (workflows import from domain/ and activities/failures). */
function compiledSourceDir(): string {
  return fileURLToPath(new URL('..', import.meta.url));
}

function newestMtimeMs(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(full));
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The prebuilt bundle's path when it exists and is at least as new as the compiled workflows. */
export function freshPrebuiltBundle(
  bundle = prebuiltBundlePath(),
  compiledDir = compiledSourceDir(),
): string | undefined {
  // ROLLBACK_PREBUILT_BUNDLE=0 bundles at start (the bench's baseline; debugging workflow code).
  if (process.env.ROLLBACK_PREBUILT_BUNDLE === '0') return undefined;
  if (!existsSync(bundle)) return undefined;
  const sources = newestMtimeMs(compiledDir);
  return statSync(bundle).mtimeMs >= sources ? bundle : undefined;
}
