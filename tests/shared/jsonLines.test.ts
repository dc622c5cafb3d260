import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { lineError, readJsonLines } from '../../src/shared/jsonLines.js';

// The reader behind `events inject --file` and `events replay --file`: line numbers as an editor
// shows them, blank lines skipped, errors naming the file and the line.

const dir = mkdtempSync(join(tmpdir(), 'redeemctl-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('readJsonLines', () => {
  it.each([
    ['LF', '{"a":1}\n\n{"a":2}\n', [[1, 1], [3, 2]]],
    ['CRLF and a BOM', '\uFEFF{"a":1}\r\n  \r\n{"a":2}', [[1, 1], [3, 2]]],
    ['leading blank lines', '\n\n{"a":3}', [[3, 3]]],
    ['only blank lines', '\n \n', []],
  ])('%s: numbers lines as written, skipping blank ones', async (_name, content, expected) => {
    const lines = await readJsonLines('--file', file('ok.jsonl', content));
    expect(lines.map((l) => [l.line, (l.value as { a: number }).a])).toEqual(expected);
  });

  it('keeps each line as written beside its value', async () => {
    const [only] = await readJsonLines('--file', file('text.jsonl', '  {"b": [1, 2]}  \n'));
    expect(only).toEqual({ line: 1, text: '  {"b": [1, 2]}  ', value: { b: [1, 2] } });
  });

  it('a line that is not JSON: the file and the line', async () => {
    const path = file('bad.jsonl', '{"a":1}\n\n{"a":\n');
    await expect(readJsonLines('--file', path)).rejects.toThrow(UsageError);
    await expect(readJsonLines('--file', path)).rejects.toThrow(new RegExp(`^${path} line 3: not JSON \\(`));
  });

  it('an unreadable file names the flag', async () => {
    await expect(readJsonLines('--file', join(dir, 'missing.jsonl'))).rejects.toThrow(`Cannot read --file ${join(dir, 'missing.jsonl')}: ENOENT`);
  });

  it('lineError words a caller\'s own check the same way', () => {
    expect(lineError('f.jsonl', 4, 'quantity must be a whole number')).toEqual(new UsageError('f.jsonl line 4: quantity must be a whole number'));
  });
});
