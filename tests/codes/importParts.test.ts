import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDist, runBinary, type CliResult } from '../support/cliHarness.js';
import { batchRow, codesFixture, codesFootprint, CsvFolder, poolCodes } from '../support/codesHarness.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';

// `codes import` of a file read in several parts (src/codes/loadFile.ts: the first part is 16,384
// rows), through the built CLI: each part goes into the pool while the next is read, a plain
// INSERT until a duplicate shows up, then inserts that skip duplicates. What an operator sees must
// not change: counts, problems, file order, all or nothing, the batch and audit rows.

const ROWS = 40_000; // two parts: 16,384 rows, then the rest
const db = useTestDatabase('postgres', { poolSize: 2 });
const files = new CsvFolder();
beforeAll(() => ensureDist(), 120_000);
afterAll(() => files.remove());

let s: Scenario;
beforeEach(async () => {
  s = await Scenario.create(db().database.db, codesFixture());
});

const codeOn = (line: number) => `PART-${String(line).padStart(6, '0')}`;
/** Line n of the file (the header is line 1) holds codeOn(n), unless `changes` says otherwise. */
function partsFile(changes: Record<number, string>): string {
  const lines = ['code'];
  for (let line = 2; line <= ROWS + 1; line++) lines.push(changes[line] ?? codeOn(line));
  return files.write(lines.join('\n') + '\n');
}

async function importFile(file: string, ...flags: string[]): Promise<{ r: CliResult; out: Record<string, any> }> {
  const env = { DATABASE_URL: db().url!, REDEEMCTL_MERCHANT: s.summary.merchant, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
  const r = await runBinary(['codes', 'import', file, '--reward', 'POOL', '--reason', 'parts test', '--yes', '--json', ...flags], env, files.dir);
  return { r, out: r.stdout ? JSON.parse(r.stdout) : undefined };
}

describe('codes import of a file in several parts', () => {
  it('duplicates in a later part (of a line in the first part, of the pool, within the part): counted, reported, skipped; codes in file order', async () => {
    // Line 30,000 repeats line 2; line 35,000 is a code of another reward; line 36,000 repeats line 30,500.
    const file = partsFile({ 30_000: codeOn(2), 35_000: 'SEEDED-1', 36_000: codeOn(30_500) });
    const report = files.path('parts-report.csv');
    const { r, out } = await importFile(file, '--report', report);
    expect(r.code, r.stderr).toBe(0);
    expect(out).toMatchObject({ rows_read: ROWS, imported: ROWS - 3, duplicate_in_file: 2, duplicate_in_pool: 1, invalid: 0, problems_total: 3 });
    expect(out.problems).toEqual([
      { line: 30_000, code: codeOn(2), kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 2' },
      { line: 35_000, code: 'SEEDED-1', kind: 'duplicate_in_pool', problem: 'duplicate in pool (held by reward OTHER)' },
      { line: 36_000, code: codeOn(30_500), kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 30500' },
    ]);
    expect(readFileSync(report, 'utf8').split('\n')).toHaveLength(5); // header, 3 problems, the final newline
    const expected = Array.from({ length: ROWS }, (_, i) => i + 2).filter((line) => ![30_000, 35_000, 36_000].includes(line)).map(codeOn);
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(expected);
    expect(await batchRow(s.db, out.batch_id)).toMatchObject({ rows_read: ROWS, imported: ROWS - 3, duplicates_in_file: 2, duplicates_in_pool: 1, invalid: 0 });
    const audit = await sql<{ details: Record<string, unknown> }>`
      select details from audit_log where action = 'codes_import' and target_id = ${s.reward('POOL')}`.execute(s.db);
    expect(audit.rows.map((row) => row.details)).toEqual([expect.objectContaining({ import_id: out.batch_id, imported: ROWS - 3, duplicate_in_file: 2 })]);

    // Again: nothing new, nothing written.
    const before = await codesFootprint(s.db);
    const again = await importFile(file);
    expect(again.r.code, again.r.stderr).toBe(0);
    expect(again.out).toMatchObject({ imported: 0, duplicate_in_pool: ROWS - 2, duplicate_in_file: 2, batch_id: null });
    expect(await codesFootprint(s.db)).toEqual(before);
  }, 60_000);

  it('an invalid row in a later part: all or nothing writes nothing (exit 2) and counts as the real run would; --skip-invalid imports the rest (exit 1)', async () => {
    const file = partsFile({ 39_000: 'BAD CODE', 20_000: codeOn(3) });
    const before = await codesFootprint(s.db);
    const refused = await importFile(file);
    expect(refused.r.code, refused.r.stderr).toBe(2);
    expect(refused.out).toMatchObject({ success: false, rows_read: ROWS, imported: 0, importable: ROWS - 2, duplicate_in_file: 1, invalid: 1, batch_id: null });
    expect(refused.out.problems).toEqual([
      { line: 20_000, code: codeOn(3), kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 3' },
      { line: 39_000, code: 'BAD CODE', kind: 'invalid', problem: 'code has whitespace inside' },
    ]);
    expect(await codesFootprint(s.db)).toEqual(before);

    const skipped = await importFile(file, '--skip-invalid');
    expect(skipped.r.code, skipped.r.stderr).toBe(1);
    expect(skipped.out).toMatchObject({ imported: ROWS - 2, duplicate_in_file: 1, invalid: 1 });
    expect((await poolCodes(s.db, s.reward('POOL'))).length).toBe(ROWS - 2);
  }, 60_000);
});
