import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvFile, isBlank, isUnreadable, type CsvFileOptions, type CsvItem } from '../../src/shared/csv.js';
import { UsageError } from '../../src/shared/errors.js';

// The one CSV reader under `codes import`, `codes void --file` and `batch run`: physical line
// numbers, the UTF-8 check, the sha256 of the bytes. What the rows mean is tested with each
// command (tests/codes/, tests/batch/).

const dir = mkdtempSync(join(tmpdir(), 'redeemctl-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${files++}.csv`);
  writeFileSync(path, content);
  return path;
}

async function read(content: string | Buffer, options: CsvFileOptions = {}): Promise<{ csv: CsvFile; items: CsvItem[] }> {
  const csv = new CsvFile(file(content), { name: 'in.csv', ...options });
  const items: CsvItem[] = [];
  for await (const batch of csv.records()) items.push(...batch);
  return { csv, items };
}

/** [line, fields] per record, `!` plus the line for one csv-parse could not read, `?` plus the line for invalid UTF-8. */
function shape(items: CsvItem[]): Array<[number, string]> {
  return items.map((item) => {
    if (isUnreadable(item)) return [item.line, `! ${item.error.code}`];
    return [item.line, item.invalidUtf8 ? `? ${item.invalidUtf8.line}${item.invalidUtf8.cutAtEnd ? ' cut' : ''}` : item.fields.join('|')];
  });
}

describe('line numbers: the physical line each record starts on', () => {
  it.each([
    ['LF', 'a,b\n1,2\n3,4\n', [[1, 'a|b'], [2, '1|2'], [3, '3|4']]],
    ['CRLF, no final line end', 'a,b\r\n1,2\r\n3,4', [[1, 'a|b'], [2, '1|2'], [3, '3|4']]],
    ['LF and CRLF mixed', 'a\n1\r\n2\n', [[1, 'a'], [2, '1'], [3, '2']]],
    ['a BOM', '\uFEFFa,b\n1,2', [[1, 'a|b'], [2, '1|2']]],
    ['blank lines are records too', '\na\n\n1\n', [[1, ''], [2, 'a'], [3, ''], [4, '1']]],
    ['quoted line breaks, LF and CRLF', 'a,b\n"x\ny",1\n"p\r\nq\r\nr",2\n3,4', [[1, 'a|b'], [2, 'x\ny|1'], [4, 'p\r\nq\r\nr|2'], [7, '3|4']]],
    ['a lone CR is a character, not a line end', 'a\rb\n1', [[1, 'a\rb'], [2, '1']]],
    ['rows of different widths', 'a,b,c\n1\n1,2,3,4', [[1, 'a|b|c'], [2, '1'], [3, '1|2|3|4']]],
  ])('%s', async (_name, content, expected) => {
    expect(shape((await read(content)).items)).toEqual(expected);
  });
});

describe('UTF-8', () => {
  it('a character split across the 64 KiB read boundary is valid; bad bytes further on name their line', async () => {
    const filler = 'F'.repeat(65_536 - 'a\n1,'.length - 1);
    const content = Buffer.concat([Buffer.from(`a\n1,${filler}é\n2\nx`), Buffer.from([0xff]), Buffer.from('y\n"q\n'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n4\n')]);
    expect(content.indexOf(Buffer.from('é'))).toBe(65_535);
    const { items } = await read(content);
    expect(shape(items).map(([line, what]) => [line, what.startsWith('1|') ? '1|…' : what])).toEqual([
      [1, 'a'],
      [2, '1|…'],
      [3, '2'],
      [4, '? 4'],
      [5, '? 6'], // a quoted field over two lines: the bad byte is on its second
      [7, '4'],
    ]);
  });

  it('a file that ends inside a character: its last line, marked cut', async () => {
    const { items } = await read(Buffer.concat([Buffer.from('a\n1\n2'), Buffer.from([0xe2, 0x82])]));
    expect(shape(items)).toEqual([[1, 'a'], [2, '1'], [3, '? 3 cut']]);
  });

  it.each([
    ['little-endian', Buffer.from('\uFEFFa\n1\n', 'utf16le')],
    ['big-endian', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('\u0061\n', 'utf16le').swap16()])],
  ])('UTF-16 (%s, by its byte order mark) is refused, in the caller\'s words if it has some', async (_name, content) => {
    await expect(read(content)).rejects.toThrow(new UsageError('in.csv is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8 and run again'));
    await expect(read(content, { wording: { utf16: (name) => `${name}: UTF-16` } })).rejects.toThrow(new UsageError('in.csv: UTF-16'));
  });
});

describe('limits and broken quoting', () => {
  it('maxLineBytes stops the read at the first line over it, with its line number', async () => {
    const content = 'a\n1\n' + 'x'.repeat(70_000) + '\n2\n';
    await expect(read(content, { maxLineBytes: 64 * 1024 })).rejects.toThrow(
      new UsageError('in.csv line 3 is over 64 KiB: check the delimiter (a comma), the quoting (an unclosed quote runs on) and the number of columns'),
    );
    await expect(read(content, { maxLineBytes: 64 * 1024, wording: { lineTooLong: (name, line, max) => `${name}:${line}>${max}` } })).rejects.toThrow('in.csv:3>65536');
  });

  it('without maxLineBytes a long line goes to csv-parse, which stops a record over 64 Ki characters', async () => {
    const { items } = await read('a\n"' + 'x'.repeat(70_000) + '\n');
    expect(shape(items)[1]).toEqual([2, '! CSV_MAX_RECORD_SIZE']);
  });

  it.each([
    ['a quote inside an unquoted field', 'a\n1\nx"y\n2\n', [[1, 'a'], [2, '1'], [3, '! INVALID_OPENING_QUOTE'], [4, '2']]],
    ['text after a closing quote', 'a\n"x"y\n2\n', [[1, 'a'], [2, '! CSV_INVALID_CLOSING_QUOTE']]],
  ])('%s: in the stream where it happened, with the line it starts on', async (_name, content, expected) => {
    expect(shape((await read(content)).items).slice(0, expected.length)).toEqual(expected);
  });

  it('a quoted field never closed: the line it opens on, and where csv-parse noticed it', async () => {
    const { items } = await read('a\n1\n"B\nC\nD\n');
    const last = items.at(-1)!;
    expect(isUnreadable(last) && [last.line, last.error.code, last.error.lines]).toEqual([3, 'CSV_QUOTE_NOT_CLOSED', 5]);
  });
});

describe('the file itself', () => {
  it('hashes and counts every byte read, the BOM included', async () => {
    const content = '\uFEFFa\n1\n2\n';
    const { csv } = await read(content);
    expect(csv.sha256).toBe(createHash('sha256').update(Buffer.from(content)).digest('hex'));
    expect(csv.bytes).toBe(Buffer.byteLength(content));
  });

  it('a missing file is a usage error naming it', async () => {
    const csv = new CsvFile(join(dir, 'missing.csv'));
    await expect(csv.records().next()).rejects.toThrow(new RegExp(`^Cannot read ${join(dir, 'missing.csv')}: ENOENT`));
  });

  it.each([[[''], true], [[' ', '', '\t'], true], [['', 'x'], false]])('isBlank(%j) is %s', (fields, blank) => {
    expect(isBlank(fields)).toBe(blank);
  });
});
