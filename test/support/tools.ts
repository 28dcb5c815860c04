// Locates the project's external tools. A missing tool fails the test with the fix, never a skip
// and never a download.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Absolute path of a tool from .tools/bin, or from PATH when the project has not installed it. */
export function toolPath(name: string): string {
  const local = path.join(repoRoot, '.tools', 'bin', name);
  try {
    accessSync(local, constants.X_OK);
    return local;
  } catch {
    const found = onPath(name);
    if (found) return found;
    throw new Error(`${name} is not installed: run \`npm run tools\` (it installs into .tools/bin)`);
  }
}
