import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// No function in src/ longer than 80 lines (docs/architecture.md): a longer one is doing several
// jobs, and a command registration that long is several commands. Measured on the syntax tree,
// from the line a function starts on to the line it ends on, nested functions counted apart too.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const MAX_LINES = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every function-like node with a body, longer than `max` lines: where, how long, its name. */
export function longFunctions(fileName: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const lines = last - first + 1;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (lines > max) found.push(`${fileName}:${first} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('function size in src/', () => {
  it(`no function is longer than ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC).flatMap((file) => longFunctions(relative(SRC, file), readFileSync(file, 'utf8'), MAX_LINES));
    expect(long).toEqual([]);
  });

  it('the measure counts a function from its first line to its last', () => {
    const body = Array.from({ length: 5 }, (_, i) => `  const x${i} = ${i};`).join('\n');
    const text = `export function five() {\n${body}\n}\n`;
    expect(longFunctions('f.ts', text, 7)).toEqual([]);
    expect(longFunctions('f.ts', text, 6)).toEqual(['f.ts:1 five (7 lines)']);
  });
});
