import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { importCodes, type ImportRequest } from '../../src/codes/importPool.js';
import { resolvePoolReward } from '../../src/codes/poolReward.js';
import { codeStats } from '../../src/codes/stats.js';
import { voidCodes } from '../../src/codes/voidCodes.js';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import { codeList, codesFixture, codesFootprint, CsvFolder, poolCodes, poolRows } from '../support/codesHarness.js';

// The core import path on the embedded backend (PGlite): COPY from blobs into the staging table,
// the SQL dedupe, all-or-nothing, re-import, and the codes drawn by a redemption.

const db = useTestDatabase('pglite');
const files = new CsvFolder();
afterAll(() => files.remove());

let s: Scenario;
beforeEach(async () => {
  s = await Scenario.create(db().database.db, codesFixture());
});

async function run(file: string, extra: Partial<ImportRequest> = {}) {
  const reward = await resolvePoolReward(s.db, s.merchantId, 'POOL');
  return importCodes(db().database, { file, merchantId: s.merchantId, reward, lot: null, dryRun: false, skipInvalid: false, actor: 'tester', ...extra });
}

describe('codes import on PGlite', () => {
  it('imports in file order, marks duplicates in the file and in the pool, and a redemption draws the first code', async () => {
    const result = await run(files.write('\uFEFFcode,lot,expires_at\r\nE-2,L,2030-01-31\r\nE-1,,\r\nE-2,,\r\nSEEDED-1,,\r\n"E,3",,\r\n'));
    expect(result).toMatchObject({ success: true, rows_read: 5, imported: 3, duplicate_in_file: 1, duplicate_in_pool: 1, invalid: 0 });
    expect(result.problems.map((p) => [p.line, p.problem])).toEqual([
      [4, 'duplicate in file: first on line 2'],
      [5, 'duplicate in pool (held by reward OTHER)'],
    ]);
    const rows = await poolRows(s.db, s.reward('POOL'));
    expect(rows.map((r) => [r.promo_code, r.lot])).toEqual([['E-2', 'L'], ['E-1', null], ['E,3', null]]);
    expect(rows[0]!.expires_at!.toISOString()).toBe('2030-01-31T17:00:00.000Z');
    const redeemed = await s.redeem('ann@codes.test', 'POOL');
    expect(redeemed.redemptions[0]!.promo_code).toBe('E-2');
    expect((await codeStats(s.db, s.merchantId, s.reward('POOL')))[0]).toMatchObject({ available: 2, redeemed: 1, total: 3 });
  });

  it('all-or-nothing: one invalid row imports nothing; --skip-invalid imports the rest; a re-import imports nothing', async () => {
    const file = files.write('code\nF-1\nF 2\nF-3\n');
    const before = await codesFootprint(s.db);
    const refused = await run(file);
    expect(refused).toMatchObject({ success: false, imported: 0, importable: 2, invalid: 1, batch_id: null });
    expect(refused.problems).toEqual([{ line: 3, code: 'F 2', kind: 'invalid', problem: 'code has whitespace inside' }]);
    expect(await codesFootprint(s.db)).toEqual(before);
    const skipped = await run(file, { skipInvalid: true });
    expect(skipped).toMatchObject({ success: true, imported: 2, invalid: 1 });
    const again = await run(file, { skipInvalid: true });
    expect(again).toMatchObject({ imported: 0, duplicate_in_pool: 2, batch_id: null });
    expect(again.message).toMatch(new RegExp(`^0 imported: all 2 codes are already in the pool \\(first imported by import ${skipped.batch_id} at .+\\); 1 invalid row skipped\\.$`));
    expect(await poolCodes(s.db, s.reward('POOL'))).toEqual(['F-1', 'F-3']);
  });

  it('a file larger than one COPY blob (4 MB of staging text) is staged whole; --dry-run writes nothing', async () => {
    const codes = codeList('BULK-CODE-WITH-A-LONG-PREFIX', 50_000);
    const file = files.write('code,partner\n' + codes.map((c) => `${c},partner-${c}`).join('\n') + '\nBULK-CODE-WITH-A-LONG-PREFIX-0001,again\n');
    const before = await codesFootprint(s.db);
    const result = await run(file, { dryRun: true });
    expect(result).toMatchObject({ dry_run: true, rows_read: 50_001, importable: 50_000, imported: 0, duplicate_in_file: 1 });
    expect(result.problems).toEqual([{ line: 50_002, code: 'BULK-CODE-WITH-A-LONG-PREFIX-0001', kind: 'duplicate_in_file', problem: 'duplicate in file: first on line 2' }]);
    expect(await codesFootprint(s.db)).toEqual(before);
  });

  it('void skips a held code', async () => {
    await run(files.write('code\nV-1\nV-2\n'), { lot: 'V' });
    expect((await s.redeem('bob@codes.test', 'POOL')).success).toBe(true);
    const reward = await resolvePoolReward(s.db, s.merchantId, 'POOL');
    const result = await voidCodes(db().database, {
      merchantId: s.merchantId, reward, by: 'lot', value: 'V', reason: 'test', actor: 'tester', dryRun: false, confirm: async () => {},
    });
    expect(result).toMatchObject({ matched: 2, voided: 1, held: 1 });
    expect((await poolRows(s.db, s.reward('POOL'))).map((r) => r.status)).toEqual(['redeemed', 'voided']);
  });
});
