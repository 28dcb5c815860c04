// The workflow bundle prebuilt by `npm run build` (scripts/bundleWorkflows.ts), so a worker starts
// polling in about a second instead of running webpack at every start. A bundle older than the
// compiled workflow code it was made from is ignored (a `tsc` without the bundling step), and the
// worker bundles at start as before: stale workflow code must never run.
import { readdir, stat } from 'node:fs/promises';
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

async function newestMtimeMs(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  // Every stat at once: the worker runs this while it connects and loads its activities.
  const times = await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return newestMtimeMs(full);
      return entry.name.endsWith('.js') ? (await stat(full)).mtimeMs : 0;
    }),
  );
  return Math.max(0, ...times);
}

/** The prebuilt bundle's path when it exists and is at least as new as the compiled workflows. */
export async function freshPrebuiltBundle(
  bundle = prebuiltBundlePath(),
  compiledDir = compiledSourceDir(),
): Promise<string | undefined> {
  // ROLLBACK_PREBUILT_BUNDLE=0 bundles at start (the bench's baseline; debugging workflow code).
  if (process.env.ROLLBACK_PREBUILT_BUNDLE === '0') return undefined;
  const [built, sources] = await Promise.all([stat(bundle).catch(() => undefined), newestMtimeMs(compiledDir)]);
  return built && built.mtimeMs >= sources ? bundle : undefined;
}
