// The README and docs/ point only at files a clone has: every relative link, and every path in
// backticks under a tracked top-level folder (`src/...`, `docs/...`), must exist. Moving or
// renaming a file without its mentions fails here, not in a newcomer's hands.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const FOLDERS = ['src', 'docs', 'test', 'scripts', 'bench', 'deploy', '.ci'];
/** Folders whose files the reader makes (secrets): named in the docs, never in a clone. */
const MADE_BY_THE_READER = ['deploy/compose/secrets/'];
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Paths a document names, each relative to the repository root. */
function mentions(doc: string): string[] {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  const found: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue; // http:, mailto:
    found.push(normalize(join(dirname(doc), target!)));
  }
  for (const [, code] of text.matchAll(/`([^`\s]+)`/g)) {
    const path = code!.replace(/[.,:;]+$/, '').replace(/:\d+(-\d+)?$/, '');
    if (!FOLDERS.some((f) => path.startsWith(`${f}/`))) continue;
    if (/[*<>{}$|]|\.\.\./.test(path)) continue; // globs and placeholders
    found.push(normalize(path));
  }
  return found;
}

test.each(DOCS)('%s names only files that exist', (doc) => {
  const missing = mentions(doc).filter(
    (p) => !existsSync(join(ROOT, p)) && !MADE_BY_THE_READER.some((folder) => p.startsWith(folder)),
  );
  expect(missing).toEqual([]);
});

test('mentions are read at all (a parser that finds none would pass every document)', () => {
  expect(mentions('README.md').length).toBeGreaterThan(20);
});
