// The image installs `dependencies` only (`npm ci --omit=dev`, Dockerfile): they must be exactly the
// packages that src/ (the worker, trigger, CLI and codec server) imports at run time, so the image
// misses nothing and carries no test, bench or demo tooling.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/tools.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The package of a bare specifier: `@scope/name` or `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Packages imported for their values (`import type` is erased by tsc), statically or by `import()`. */
function runtimeImports(texts: string[]): Set<string> {
  const packages = new Set<string>();
  for (const text of texts) {
    const specifiers = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gm)]
        .filter((m) => !m[1])
        .map((m) => m[2]!),
      ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
    ];
    for (const s of specifiers) if (!s.startsWith('.') && !s.startsWith('node:')) packages.add(packageOf(s));
  }
  return packages;
}

function dependencyProblems(imported: Set<string>, dependencies: Record<string, string>): string[] {
  const declared = new Set(Object.keys(dependencies));
  return [
    ...[...imported].filter((p) => !declared.has(p)).map((p) => `${p}: imported by src/ but not in dependencies`),
    ...[...declared].filter((p) => !imported.has(p)).map((p) => `${p}: in dependencies but src/ never imports it`),
  ].sort();
}

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const imported = runtimeImports(sourceFiles(path.join(repoRoot, 'src')).map((f) => readFileSync(f, 'utf8')));

test('dependencies are exactly the packages src/ imports at run time', () => {
  expect(imported.has('@temporalio/worker')).toBe(true);
  expect(imported.has('@kubernetes/client-node')).toBe(true); // loaded by import() on first use
  expect(dependencyProblems(imported, pkg.dependencies)).toEqual([]);
});

test('test, bench and demo tooling stays in devDependencies', () => {
  for (const tool of ['@temporalio/testing', '@aws-sdk/client-iam', 'playwright-core', 'fast-check', 'jest']) {
    expect(pkg.devDependencies[tool]).toBeDefined();
  }
});

test('the rule names a missing and a needless dependency, and ignores type-only and relative imports', () => {
  const found = runtimeImports([
    "import type { Logger } from 'pino';\nimport { z } from 'zod';\nimport { a } from '../a.js';",
    "const k8s = await import('@kubernetes/client-node');\nexport { x } from '@scope/pkg/sub';",
  ]);
  expect([...found].sort()).toEqual(['@kubernetes/client-node', '@scope/pkg', 'zod']);
  expect(dependencyProblems(found, { zod: '1', '@scope/pkg': '1', '@temporalio/testing': '1' })).toEqual([
    '@kubernetes/client-node: imported by src/ but not in dependencies',
    '@temporalio/testing: in dependencies but src/ never imports it',
  ]);
});
