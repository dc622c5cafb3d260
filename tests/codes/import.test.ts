import { existsSync, linkSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { REPO_ROOT, type CliResult } from '../support/cliHarness.js';
import { batchRow, codesCli, codesFixture, codesFootprint, CsvFolder, poolCodes, poolRows } from '../support/codesHarness.js';

// `codes import` through the CLI in process, against a server database: the CSV formats of
// docs/conventions.md, the report, all-or-nothing, --skip-invalid, --dry-run, re-import.
// Each test gets its own merchant, so pools start empty (bar OTHER's two seeded codes).

const db = useTestDatabase('postgres', { poolSize: 3 });
const files = new CsvFolder();
afterAll(() => files.remove());

let s: Scenario;
let cli: (...argv: string[]) => Promise<CliResult>;
beforeEach(async () => {
  s = await Scenario.create(db().database.db, codesFixture());
  cli = codesCli(() => db().url!, s.summary.merchant);
});

const json = (r: CliResult) => JSON.parse(r.stdout);
const importJson = async (file: string, ...flags: string[]) => {
  const r = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL', '--json', ...flags);
  return { r, out: r.stdout ? json(r) : undefined };
};

describe('codes import: a clean file', () => {
  it('imports every code in file order, with lot, partner and expiry, under one batch record', async () => {
    const file = files.write(
      'code,lot,expires_at,partner\n' +
        'AAA-1,L1,2030-06-30,Acme\n' +
        'AAA-2,,2030-06-30T12:00:00+02:00,\n' +
        'AAA-3,,,\n',
    );
    const { r, out } = await importJson(file, '--lot', 'SPRING');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // without a terminal, progress waits 10 s before its first line (src/shared/progress.ts)
    expect(out).toMatchObject({
      success: true, dry_run: false, rows_read: 3, imported: 3, importable: 3,
      duplicate_in_file: 0, duplicate_in_pool: 0, invalid: 0, blank_lines: 0, problems: [], problems_total: 0, reward_code: 'POOL', lot: 'SPRING',
    });
    expect(out.message).toMatch(/^Imported 3 codes of 3 rows into POOL: import [0-9a-f-]{36} at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.$/);
    const rows = await poolRows(s.db, s.reward('POOL'));
    expect(rows.map((row) => [row.promo_code, row.lot, row.partner, row.status])).toEqual([
      ['AAA-1', 'L1', 'Acme', 'available'],
      ['AAA-2', 'SPRING', null, 'available'],
      ['AAA-3', 'SPRING', null, 'available'],
    ]);
    // A date holds through that day in the merchant's zone (Asia/Bangkok, UTC+7).
    expect(rows[0]!.expires_at!.toISOString()).toBe('2030-06-30T17:00:00.000Z');
    expect(rows[1]!.expires_at!.toISOString()).toBe('2030-06-30T10:00:00.000Z');
    expect(rows[2]!.expires_at).toBeNull();
    expect(new Set(rows.map((row) => row.import_batch_id))).toEqual(new Set([out.batch_id]));
    const sha = (await import('node:crypto')).createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(await batchRow(s.db, out.batch_id)).toMatchObject({
      merchant_id: s.merchantId, reward_id: s.reward('POOL'), file_name: file.split('/').pop(), file_sha256: sha, lot: 'SPRING',
      rows_read: 3, imported: 3, duplicates_in_file: 0, duplicates_in_pool: 0, invalid: 0, actor: 'tester', voided_at: null,
    });
  });

  it('reads a BOM and CRLF line ends', async () => {
    const file = files.write('\uFEFFcode,lot\r\nBOM-1,X\r\nBOM-2,Y\r\n');
    const { r, out } = await importJson(file);
    expect(r.code, r.stderr).toBe(0);
    expect(out).toMatchObject({ rows_read: 2, imported: 2, invalid: 0 });
    expect((await poolRows(s.db, s.reward('POOL'))).map((row) => [row.promo_code, row.lot])).toEqual([['BOM-1', 'X'], ['BOM-2', 'Y']]);
  });

  it('reads quoted fields with commas and quotes; a line break inside a field keeps later line numbers right', async () => {
    const file = files.write(
      'code,partner\n' +
        '"Q,1","Acme, Inc."\n' +
        '"Q""2","say ""hi"""\n' +
        'Q3,"two\nlines"\n' +
        'Q 4,x\n',
    );
    const { r, out } = await importJson(file, '--skip-invalid');
    expect(r.code, r.stderr).toBe(1);
    expect(out).toMatchObject({ rows_read: 4, imported: 2, invalid: 2 });
    expect(out.problems).toEqual([
      { line: 4, code: 'Q3', kind: 'invalid', problem: 'partner has a control or invisible character (U+000A)' },
      { line: 6, code: 'Q 4', kind: 'invalid', problem: 'code has whitespace inside' },
    ]);
    expect((await poolRows(s.db, s.reward('POOL'))).map((row) => [row.promo_code, row.partner])).toEqual([
      ['Q,1', 'Acme, Inc.'],
      ['Q"2', 'say "hi"'],
    ]);
  });

  it('skips blank lines (and rows of empty fields), counting them, and keeps physical line numbers', async () => {
    const file = files.write('\ncode,lot\n\nB-1,x\n   \n,\nB 2,y\n\n');
    const { r, out } = await importJson(file, '--skip-invalid');
    expect(r.code).toBe(1);
    expect(out).toMatchObject({ rows_read: 2, imported: 1, invalid: 1, blank_lines: 5 });
    expect(out.problems).toEqual([{ line: 7, code: 'B 2', kind: 'invalid', problem: 'code has whitespace inside' }]);
  });
});

describe('codes import: duplicates', () => {
  it('within the file: the first line wins, later lines name it; not an error (exit 0)', async () => {
    const file = files.write('code\nD-1\nD-2\nD-1\nD-3\nD-1\nD-2\n');
    const { r, out } = await importJson(file);
    expect(r.code, r.stderr).toBe(0);
    expect(out).toMatchObject({ rows_read: 6, imported: 3, duplicate_in_file: 3, duplicate_in_pool: 0, invalid: 0 });
    expect(out.problems).toEqual([
      { line: 4, code: 'D-1', kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 2' },
      { line: 6, code: 'D-1', kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 2' },
      { line: 7, code: 'D-2', kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 3' },
    ]);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(['D-1', 'D-2', 'D-3']);
  });

  it('already in the pool, this reward or another of the merchant (codes are unique per merchant)', async () => {
    const first = await importJson(files.write('code\nP-1\nP-2\n'));
    expect(first.r.code).toBe(0);
    const { r, out } = await importJson(files.write('code\nP-0\nP-1\nSEEDED-2\nP-3\n'));
    expect(r.code, r.stderr).toBe(0);
    expect(out).toMatchObject({ rows_read: 4, imported: 2, duplicate_in_pool: 2 });
    expect(out.problems).toEqual([
      { line: 3, code: 'P-1', kind: 'duplicate_in_pool', problem: `duplicate in pool (batch ${first.out.batch_id})` },
      { line: 4, code: 'SEEDED-2', kind: 'duplicate_in_pool', problem: 'duplicate in pool (held by reward OTHER)' },
    ]);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(['P-1', 'P-2', 'P-0', 'P-3']);
    expect(await poolCodes(s.db, s.reward('OTHER'))).toEqual(['SEEDED-1', 'SEEDED-2']);
  });

  it('re-importing the same file imports nothing, says so, names the first batch and writes no batch', async () => {
    const file = files.write('code\nR-1\nR-2\nR-3\nR-2\n');
    const first = await importJson(file);
    expect(first.out).toMatchObject({ imported: 3, duplicate_in_file: 1 });
    const before = await codesFootprint(s.db);
    const again = await importJson(file);
    expect(again.r.code, again.r.stderr).toBe(0);
    expect(again.out).toMatchObject({ imported: 0, importable: 0, duplicate_in_pool: 3, duplicate_in_file: 1, batch_id: null });
    const created = (await batchRow(s.db, first.out.batch_id)).created_at as Date;
    expect(again.out.message).toBe(`0 imported: all 3 codes are already in the pool (first imported by import ${first.out.batch_id} at ${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}).`);
    expect(await codesFootprint(s.db)).toEqual(before);
    const human = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('0 imported: all 3 codes are already in the pool');
  });
});

describe('codes import: invalid rows', () => {
  const bad = (line: string) => `code,expires_at\nOK-1,\n${line}\nOK-2,2031-01-01\n`;

  it.each([
    ['empty code', ',2030-01-01', '', 'code is empty'],
    ['whitespace inside', 'A B,', 'A B', 'code has whitespace inside'],
    ['an invisible character', 'A\u200bB,', 'A\u200bB', 'code has a control or invisible character (U+200B)'],
    ['an overlong code', 'X'.repeat(129) + ',', 'X'.repeat(129), 'code is 129 characters, over the limit of 128'],
    ['an impossible date', 'D-1,2030-02-30', 'D-1', 'expires_at "2030-02-30": expected a date (2030-12-31) or a date-time with an offset (2030-12-31T23:59:59Z)'],
    ['a date-time without offset', 'D-2,2030-01-01T10:00', 'D-2', 'expires_at "2030-01-01T10:00" has no offset: add one (Z, +07:00)'],
    ['too many fields', 'D-3,,extra', 'D-3', '3 fields, the header has 2'],
  ])('%s: all-or-nothing imports nothing (exit 2); --skip-invalid imports the rest (exit 1)', async (_name, line, code, problem) => {
    const file = files.write(bad(line));
    const before = await codesFootprint(s.db);
    const refused = await importJson(file);
    expect(refused.r.code).toBe(2);
    expect(refused.out).toMatchObject({ success: false, rows_read: 3, imported: 0, importable: 2, invalid: 1, batch_id: null });
    expect(refused.out.problems).toEqual([{ line: 3, code, kind: 'invalid', problem }]);
    expect(refused.out.message).toBe(`Nothing imported: 1 invalid row (first: line 3, ${problem}). Fix it, or pass --skip-invalid to import the 2 codes that pass.`);
    expect(await codesFootprint(s.db)).toEqual(before);

    const skipped = await importJson(file, '--skip-invalid');
    expect(skipped.r.code).toBe(1);
    expect(skipped.out).toMatchObject({ success: true, rows_read: 3, imported: 2, invalid: 1 });
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(['OK-1', 'OK-2']);
    expect(await batchRow(s.db, skipped.out.batch_id)).toMatchObject({ rows_read: 3, imported: 2, invalid: 1 });
  });

  it('128 characters is the longest code', async () => {
    const { r, out } = await importJson(files.write(`code\n${'Y'.repeat(128)}\n`));
    expect(r.code).toBe(0);
    expect(out.imported).toBe(1);
  });

  it('bytes that are not UTF-8 mark their row invalid, with its line number', async () => {
    const file = files.write(Buffer.concat([Buffer.from('code,partner\nU-1,ok\nU-2,caf'), Buffer.from([0xe9]), Buffer.from('\nU-3,\xc3\xa9t\xc3\xa9\n', 'latin1')]));
    const refused = await importJson(file);
    expect(refused.r.code).toBe(2);
    expect(refused.out.problems).toEqual([{ line: 3, code: 'U-2', kind: 'invalid', problem: 'not valid UTF-8 (save the file as UTF-8)' }]);
    const skipped = await importJson(file, '--skip-invalid');
    expect(skipped.r.code).toBe(1);
    expect((await poolRows(s.db, s.reward('POOL'))).map((row) => [row.promo_code, row.partner])).toEqual([['U-1', 'ok'], ['U-3', 'été']]);
  });

  it('--report writes every problem as CSV (line, code, problem); the screen shows the first 10', async () => {
    const lines = ['code', 'K-1', ...Array.from({ length: 12 }, (_, i) => `K ${i}`), 'K-1'];
    const report = files.path('report.csv');
    const r = await cli('codes', 'import', '--reason', 'test', '--yes', files.write(lines.join('\n') + '\n'), '--reward', 'POOL', '--skip-invalid', '--report', report);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('Problems (the first 10 of 13; all of them in ' + report + ')');
    expect(r.stdout).toContain('K 9');
    expect(r.stdout).not.toContain('K 10');
    expect(readFileSync(report, 'utf8')).toBe(
      'line,code,problem\n' + Array.from({ length: 12 }, (_, i) => `${i + 3},K ${i},code has whitespace inside\n`).join('') + '15,K-1,duplicate in file: first on line 2\n',
    );
  });
});

describe('codes import: files that cannot be read (exit 2, nothing imported)', () => {
  it.each([
    ['an empty file', '', 'is empty: a code-pool CSV starts with a header row naming a code column'],
    ['only blank lines', '\n\r\n\n', 'is empty'],
    ['a header and no rows', 'code,lot\n', 'has a header and no rows: there is nothing to import'],
    ['a header without code', 'coupon,lot\nA,1\n', 'line 1 (the header) has no code column (found "coupon", "lot"): the columns are code (required), lot, expires_at (ISO-8601) and partner'],
    ['an unknown column', 'code,expires\nA,2030-01-01\n', 'line 1 (the header) has unknown column "expires"'],
    ['an unclosed quote', 'code\nA\n"B\nC\nD\n', 'line 3: bad CSV: a quoted field opened here is never closed: the file ends inside it (noticed on line 5)'],
    ['text after a closing quote', 'code\nA\n"B"x\nC\n', 'line 3: bad CSV: a closing quote is followed by other characters'],
    ['a UTF-16 file', Buffer.from('\uFEFFcode\nA\n', 'utf16le'), 'is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8'],
    ['a million columns', 'code' + ',x'.repeat(1_000_000) + '\nA\n', 'line 1 is over 64 KiB, and a code-pool row is under 1 KiB'],
    ['a huge row', 'code\nA\n' + 'B,'.repeat(100_000) + '\n', 'line 3 is over 64 KiB'],
  ])('%s', async (_name, content, message) => {
    const before = await codesFootprint(s.db);
    const r = await cli('codes', 'import', '--reason', 'test', '--yes', files.write(content), '--reward', 'POOL', '--skip-invalid', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(await codesFootprint(s.db)).toEqual(before);
  });

  it('a 20 MB line fails at its first 64 KiB, fast', async () => {
    const file = files.write('code\n' + 'Z'.repeat(20 << 20) + '\n');
    const started = Date.now();
    const r = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 2 is over 64 KiB');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('--report: an unwritable path fails before any work, the input itself is refused, a bad file leaves no report', async () => {
    const file = files.write('code\nA-1\n');
    const unwritable = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL', '--report', files.path('no/such/dir/report.csv'));
    expect([unwritable.code, unwritable.stderr]).toEqual([2, expect.stringContaining('--report ' + files.path('no/such/dir/report.csv') + ': cannot write it')]);
    const same = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL', '--report', file);
    expect([same.code, same.stderr]).toEqual([2, expect.stringContaining(`--report ${file} is the input file`)]);
    expect(readFileSync(file, 'utf8')).toBe('code\nA-1\n');
    const report = files.path('fatal-report.csv');
    const fatal = await cli('codes', 'import', '--reason', 'test', '--yes', files.write('code\n"A\n'), '--reward', 'POOL', '--report', report);
    expect(fatal.code).toBe(2);
    expect(existsSync(report)).toBe(false);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual([]);
  });

  it('--report never harms what is there: a failing import keeps an existing file, a link to the input is refused (issue 11)', async () => {
    const file = files.write('code\nA-1\n');
    const kept = files.path('kept-report.csv');
    writeFileSync(kept, 'an earlier report\n');
    const fatal = await cli('codes', 'import', '--reason', 'test', '--yes', files.write('code\n"A\n'), '--reward', 'POOL', '--report', kept);
    expect(fatal.code).toBe(2);
    expect(readFileSync(kept, 'utf8')).toBe('an earlier report\n');
    expect(existsSync(`${kept}.partial`)).toBe(false);
    for (const [how, link] of [['symlink', symlinkSync], ['hard link', linkSync]] as const) {
      const path = files.path(`report-${how.replace(' ', '-')}.csv`);
      link(file, path);
      const r = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL', '--report', path);
      expect([how, r.code, r.stderr]).toEqual([how, 2, expect.stringContaining(`--report ${path} is the input file`)]);
      expect(readFileSync(file, 'utf8')).toBe('code\nA-1\n');
    }
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual([]);
  });

  it('a quote inside an unquoted field is a bad row, not a bad file', async () => {
    const { r, out } = await importJson(files.write('code\nA"1\nA-2\n'), '--skip-invalid');
    expect(r.code).toBe(1);
    expect(out.problems).toEqual([{ line: 2, code: '', kind: 'invalid', problem: 'bad quoting: a quote inside an unquoted field (quote the whole field and double the quote: "AB""C")' }]);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(['A-2']);
  });

  it('a missing file, a reward without a pool, an unknown reward, a bad --lot', async () => {
    const file = files.write('code\nA\n');
    const missing = await cli('codes', 'import', '--reason', 'test', '--yes', files.path('nope.csv'), '--reward', 'POOL');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('Cannot read ' + files.path('nope.csv'))]);
    const mug = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'MUG');
    expect(mug.code).toBe(2);
    expect(mug.stderr).toContain('--reward MUG: reward MUG (Coffee mug) does not draw codes from a pool (assign_promocode is false)');
    const unknown = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'NOPE');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('--reward NOPE: no such reward in this merchant')]);
    const lot = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'POOL', '--lot', 'a\tb');
    expect([lot.code, lot.stderr]).toEqual([2, expect.stringContaining('--lot: lot has a control or invisible character (U+0009)')]);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual([]);
  });
});

describe('codes import --dry-run', () => {
  it('checks and reports like the real run, exits as it would, and writes nothing (no batch either)', async () => {
    const before = await codesFootprint(s.db);
    const clean = await importJson(files.write('code\nDRY-1\nDRY-2\nDRY-1\nSEEDED-1\n'), '--dry-run');
    expect(clean.r.code).toBe(0);
    expect(clean.out).toMatchObject({ dry_run: true, rows_read: 4, imported: 0, importable: 2, duplicate_in_file: 1, duplicate_in_pool: 1, batch_id: null });
    expect(clean.out.message).toBe('Dry run: would import 2 codes of 4 rows into POOL (1 duplicate in the file, 1 already in the pool); nothing written.');
    const invalid = await importJson(files.write('code\nDRY-3\nDRY 4\n'), '--dry-run');
    expect(invalid.r.code).toBe(2);
    expect(invalid.out.message).toMatch(/^Dry run: an import would be refused: 1 invalid row/);
    expect(await codesFootprint(s.db)).toEqual(before);
  });
});

describe('imported codes are redeemable', () => {
  it('a redemption draws the first code of the file, the next one the second', async () => {
    const { out } = await importJson(files.write('code\nRED-3\nRED-1\nRED-2\n'));
    expect(out.imported).toBe(3);
    const first = await s.redeem('ann@codes.test', 'POOL');
    const second = await s.redeem('bob@codes.test', 'POOL');
    expect([first.success, second.success]).toEqual([true, true]);
    expect([first.redemptions[0]!.promo_code, second.redemptions[0]!.promo_code]).toEqual(['RED-3', 'RED-1']);
    expect((await poolRows(s.db, s.reward('POOL'))).map((row) => row.status)).toEqual(['redeemed', 'redeemed', 'available']);
  });
});

describe('fixtures/codes', () => {
  it('demo-pool.csv fills the demo pool; problems.csv shows each kind of problem', async () => {
    const demo = codesCli(() => db().url!, 'Demo Coffee Co');
    expect((await demo('db', 'seed')).code).toBe(0);
    const ok = await demo('codes', 'import', '--reason', 'test', '--yes', REPO_ROOT + 'fixtures/codes/demo-pool.csv', '--reward', 'COFFEE-VOUCHER', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ rows_read: 5, imported: 5, problems_total: 0 });
    const bad = await demo('codes', 'import', '--reason', 'test', '--yes', REPO_ROOT + 'fixtures/codes/problems.csv', '--reward', 'COFFEE-VOUCHER', '--json');
    expect(bad.code).toBe(2);
    expect(json(bad)).toMatchObject({ rows_read: 7, importable: 2, imported: 0, duplicate_in_file: 1, duplicate_in_pool: 1, invalid: 3, blank_lines: 1 });
    expect(json(bad).problems.map((p: { line: number; kind: string }) => [p.line, p.kind])).toEqual([
      [5, 'duplicate_in_file'],
      [6, 'invalid'],
      [7, 'invalid'],
      [8, 'duplicate_in_pool'],
      [9, 'invalid'],
    ]);
  });
});
