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

function dynamicallyImportedPackages(): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bimport\('([^'.][^']*)'\)/g)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('node:')) found.add(specifier);
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
