import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering of src/ (docs/architecture.md), kept by a test: every import, static, dynamic or
// type-only, points down or sideways, never up.
//
//   shared/  →  db/  →  engine/  →  features (batch, codes, monitoring, kafka, ops, worker, api,
//   tui, lookup, demo, profiles)  →  cli/
//
// A feature may use another feature; nothing but cli/ imports commander.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const FEATURES = ['batch', 'codes', 'monitoring', 'kafka', 'ops', 'worker', 'api', 'tui', 'lookup', 'demo', 'profiles'];
const RANK = new Map<string, number>([
  ['shared', 0],
  ['db', 1],
  ['engine', 2],
  ...FEATURES.map((f) => [f, 3] as [string, number]),
  ['cli', 4],
]);

interface Edge {
  from: string;
  to: string;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;

/** Every import of a file: the specifier and its line. */
export function importsOf(text: string): Array<{ specifier: string; line: number }> {
  const found: Array<{ specifier: string; line: number }> = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ specifier: match[1]!, line });
  }
  return found;
}

function layerOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!;
}

function edges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8')).map(({ specifier, line }) => ({
      from: file,
      to: specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier,
      line,
    })),
  );
}

describe('the layers of src/', () => {
  const all = edges();

  it('every top-level folder of src/ is a known layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !RANK.has(f))).toEqual([]);
  });

  it('no import points up a layer', () => {
    const upward = all
      .filter((e) => e.to.startsWith(SRC))
      .filter((e) => RANK.get(layerOf(e.to))! > RANK.get(layerOf(e.from))!)
      .map((e) => `${relative(SRC, e.from)}:${e.line} imports ${relative(SRC, e.to)}`);
    expect(upward).toEqual([]);
  });

  it('only cli/ uses commander', () => {
    const outside = all
      .filter((e) => e.to === 'commander' || e.to.startsWith('@commander-js/'))
      .filter((e) => layerOf(e.from) !== 'cli')
      .map((e) => `${relative(SRC, e.from)}:${e.line}`);
    expect(outside).toEqual([]);
  });

  it('the checker sees static, dynamic and type-only imports', () => {
    const text = "import type { A } from '../cli/a.js';\nconst b = await import('../cli/b.js');\nimport '../cli/c.js';\n";
    expect(importsOf(text)).toEqual([
      { specifier: '../cli/a.js', line: 1 },
      { specifier: '../cli/b.js', line: 2 },
      { specifier: '../cli/c.js', line: 3 },
    ]);
  });
});
