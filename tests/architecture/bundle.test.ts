import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The bundled CLI (scripts/bundle.js) splits at every `await import()`. A CommonJS package loaded
// that way would become a chunk exporting only `default`, and its named exports would be
// undefined at run time (kafkajs's logLevel was), so every package src/ imports dynamically must
// stay outside the bundle, where Node gives CommonJS its named exports.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const BUNDLE_SCRIPT = fileURLToPath(new URL('../../scripts/bundle.js', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/**
 * Packages src/ takes named exports from through import(): `const { Kafka } = await import('kafkajs')`
 * or a member of a Promise.all. Not counted: `(await import('pg')).default` (a chunk's default
 * export is the whole CommonJS module, so it works bundled) and type positions (`import('pg').PoolClient`).
 */
function dynamicallyImportedPackages(): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\bimport\('([^'.][^']*)'\)/g)) {
      const specifier = match[1]!;
      const after = text.slice(match.index! + match[0].length, match.index! + match[0].length + 10);
      const before = text.slice(Math.max(0, match.index! - 7), match.index!);
      const typePosition = after.startsWith('.');
      const defaultOnly = before === '(await ' && after.startsWith(').default');
      if (!specifier.startsWith('node:') && !typePosition && !defaultOnly) found.add(specifier);
    }
  }
  return [...found].sort();
}

function bundleExternals(): string[] {
  const line = readFileSync(BUNDLE_SCRIPT, 'utf8').match(/external: \[([^\]]*)\]/);
  expect(line, 'scripts/bundle.js has an external list').not.toBeNull();
  return [...line![1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

describe('the bundled CLI', () => {
  it('leaves every package that src/ imports with import() outside the bundle', () => {
    const packages = dynamicallyImportedPackages();
    expect(packages).toContain('kafkajs');
    const externals = bundleExternals();
    expect(packages.filter((p) => !externals.includes(p))).toEqual([]);
  });
});
