import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeCsv, type CodeRow } from '../../src/codes/csvRows.js';
import { Progress } from '../../src/shared/progress.js';
import { checkCode, parseExpiry } from '../../src/codes/rules.js';
import { CsvFolder } from '../support/codesHarness.js';

// The streaming reader without a database: line numbers, UTF-8 across chunk boundaries, sha256.

const files = new CsvFolder();
afterAll(() => files.remove());

async function read(content: string | Buffer): Promise<{ csv: CodeCsv; rows: CodeRow[] }> {
  const csv = new CodeCsv(files.write(content), 'test.csv');
  const rows: CodeRow[] = [];
  for await (const batch of csv.rows()) rows.push(...batch);
  return { csv, rows };
}

describe('CodeCsv', () => {
  it('numbers physical lines through CRLF, blank lines and quoted line breaks', async () => {
    const { csv, rows } = await read('\r\ncode,partner\r\nA,"x\r\ny"\r\n\r\nB,\r\n"C\nC",\r\nD,z');
    expect(rows.map((r) => [r.line, r.code, r.problem === null])).toEqual([
      [3, 'A', false],
      [6, 'B', true],
      [7, 'C\uFFFDC', false],
      [9, 'D', true],
    ]);
    expect([csv.rowsRead, csv.invalid, csv.blankLines]).toEqual([4, 2, 2]);
  });

  it('a character split across the 64 KiB read boundary is valid UTF-8; a bad byte further on names its line', async () => {
    const filler = 'F'.repeat(65_536 - 'code,partner\nA,'.length - 1); // 'é' starts one byte before the boundary
    const content = Buffer.concat([Buffer.from(`code,partner\nA,${filler}é\nB,ok\nC,x`), Buffer.from([0xff]), Buffer.from('\nD,ü\n')]);
    expect(content.indexOf(Buffer.from('é'))).toBe(65_535);
    const { rows } = await read(content);
    expect(rows.map((r) => [r.line, r.code, r.problem])).toEqual([
      [2, 'A', 'partner is 65521 characters, over the limit of 100'],
      [3, 'B', null],
      [4, 'C', 'not valid UTF-8 (save the file as UTF-8)'],
      [5, 'D', null],
    ]);
  });

  it('a sequence cut short by the end of the file is invalid on the last line', async () => {
    const { rows } = await read(Buffer.concat([Buffer.from('code\nA\nB'), Buffer.from([0xe2, 0x82])]));
    expect(rows.map((r) => [r.line, r.problem])).toEqual([[2, null], [3, 'not valid UTF-8 (save the file as UTF-8)']]);
  });

  it('hashes every byte it read', async () => {
    const content = '\uFEFFcode\nA\nB\n';
    const { csv } = await read(content);
    expect(csv.sha256).toBe(createHash('sha256').update(Buffer.from(content)).digest('hex'));
    expect(csv.bytes).toBe(Buffer.byteLength(content));
  });
});

describe('row rules', () => {
  it.each([
    ['ABC-123', null],
    ['ÄÖÜ-ß-日本', null],
    ['a"b,c', null],
    ['', 'code is empty'],
    ['A\u00a0B', 'code has whitespace inside'],
    ['A\u0007B', 'code has a control or invisible character (U+0007)'],
    ['A\uFFFDB', 'code has U+FFFD, the replacement character (was the file converted from another encoding?)'],
    ['😀'.repeat(128), null],
    ['😀'.repeat(129), 'code is 129 characters, over the limit of 128'],
  ])('checkCode(%j)', (code, problem) => {
    expect(checkCode(code)).toBe(problem);
  });

  it.each([
    ['2024-02-29', { at: null, date: '2024-02-29' }],
    ['2023-02-29', 'bad'],
    ['2030-12-31T23:59:59Z', { at: '2030-12-31T23:59:59Z', date: null }],
    ['2030-12-31 23:59:59.123456+05:30', { at: '2030-12-31 23:59:59.123456+05:30', date: null }],
    ['2030-12-31T23:59+0200', { at: '2030-12-31T23:59+0200', date: null }],
    ['2030-12-31T24:00:00Z', 'bad'],
    ['2030-12-31T10:00:00+15:00', 'bad'],
    ['31/12/2030', 'bad'],
    ['2030-12-31T10:00:00', 'bad'],
  ])('parseExpiry(%j)', (raw, expected) => {
    const parsed = parseExpiry(raw);
    if (expected === 'bad') expect(typeof parsed).toBe('string');
    else expect(parsed).toEqual(expected);
  });
});

describe('Progress', () => {
  const io = (isTTY: boolean) => {
    const out = { text: '' };
    return { out, io: { stdout: { write: () => true }, stderr: { isTTY, write: (t: string) => (out.text += t) }, env: {} } };
  };

  it('rewrites one stderr line on a terminal and clears it when done', () => {
    const { out, io: tty } = io(true);
    const progress = new Progress(tty);
    progress.phase('reading');
    progress.tick('too soon: throttled');
    progress.phase('checking');
    progress.done();
    expect(out.text).toBe('\r\u001b[2Kreading\r\u001b[2Kchecking\r\u001b[2K');
  });

  it('writes nothing when stderr is not a terminal and the run is short', () => {
    const { out, io: pipe } = io(false);
    const progress = new Progress(pipe);
    progress.phase('reading');
    progress.done();
    expect(out.text).toBe('');
  });
});
