import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Scenario, useTestDatabase } from '../support/scenario.js';
import type { CliResult } from '../support/cliHarness.js';
import { codesCli, codesFixture, codesFootprint, CsvFolder, poolRows } from '../support/codesHarness.js';

// codes stats | export | void | imports, on a pool built by `codes import` and two redemptions.

const db = useTestDatabase('postgres', { poolSize: 3 });
const files = new CsvFolder();
afterAll(() => files.remove());

let s: Scenario;
let cli: (...argv: string[]) => Promise<CliResult>;
let importA: string;
let importB: string;
const held: Record<string, string> = {};

/**
 * POOL: lot A = A-1..A-4 (A-4 expired), lot B = B-1..B-3; redeemed by ann and bob.
 * OTHER: its two seeded codes (lot "seed").
 */
beforeEach(async () => {
  s = await Scenario.create(db().database.db, codesFixture());
  cli = codesCli(() => db().url!, s.summary.merchant);
  const a = await cli('codes', 'import', '--reason', 'test', '--yes', files.write('code,expires_at\nA-1,\nA-2,2099-01-01\nA-3,\nA-4,2001-01-01T00:00:00Z\n'), '--reward', 'POOL', '--lot', 'A', '--json');
  const b = await cli('codes', 'import', '--reason', 'test', '--yes', files.write('code,partner\nB-1,Acme\nB-2,"Acme, Inc."\nB-3,\n'), '--reward', 'POOL', '--lot', 'B', '--json');
  expect([a.code, b.code]).toEqual([0, 0]);
  importA = JSON.parse(a.stdout).batch_id;
  importB = JSON.parse(b.stdout).batch_id;
  for (const user of ['ann@codes.test', 'bob@codes.test']) {
    const result = await s.redeem(user, 'POOL');
    expect(result.success).toBe(true);
    held[result.redemptions[0]!.promo_code!] = result.redemptions[0]!.redemption_code;
  }
  expect(Object.keys(held)).toEqual(['A-1', 'A-2']);
});

const json = (r: CliResult) => JSON.parse(r.stdout);
const zero = { available: 0, expired: 0, redeemed: 0, voided: 0, total: 0 };

describe('codes stats', () => {
  it('per reward and lot: available, expired (available past expires_at), redeemed, voided, total', async () => {
    const r = await cli('codes', 'stats', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).rewards).toEqual([
      { reward_id: s.reward('OTHER'), reward_code: 'OTHER', ...zero, available: 2, total: 2, lots: [{ lot: 'seed', ...zero, available: 2, total: 2 }] },
      {
        reward_id: s.reward('POOL'), reward_code: 'POOL', available: 4, expired: 1, redeemed: 2, voided: 0, total: 7,
        lots: [
          { lot: 'A', available: 1, expired: 1, redeemed: 2, voided: 0, total: 4 },
          { lot: 'B', available: 3, expired: 0, redeemed: 0, voided: 0, total: 3 },
        ],
      },
    ]);
    const one = await cli('codes', 'stats', '--reward', 'POOL');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^POOL {2,}\(all lots\) {2,}4 {2,}1 {2,}2 {2,}0 {2,}7$/m);
    expect(one.stdout).not.toContain('OTHER');
  });
});

describe('codes export', () => {
  it('writes every code as CSV with its status and the redemption holding it', async () => {
    const out = files.path('all.csv');
    const r = await cli('codes', 'export', '--reward', 'POOL', '--output', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ exported: 7, output: out });
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines[0]).toBe('code,reward_code,lot,status,expires_at,partner,redeemed_at,redemption_code');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual([
      'A-1,POOL,A,redeemed', 'A-2,POOL,A,redeemed', 'A-3,POOL,A,available', 'A-4,POOL,A,expired', 'B-1,POOL,B,available', 'B-2,POOL,B,available', 'B-3,POOL,B,available', '',
    ]);
    expect(lines[1]).toMatch(new RegExp(`^A-1,POOL,A,redeemed,,,\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z,${held['A-1']}$`));
    expect(lines[4]).toBe('A-4,POOL,A,expired,2001-01-01T00:00:00.000Z,,,');
    expect(lines[6]).toBe('B-2,POOL,B,available,,"Acme, Inc.",,');
  });

  it('filters by status and lot, and streams to stdout without --output', async () => {
    const expired = await cli('codes', 'export', '--status', 'expired');
    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stdout).toBe('code,reward_code,lot,status,expires_at,partner,redeemed_at,redemption_code\nA-4,POOL,A,expired,2001-01-01T00:00:00.000Z,,,\n');
    const lotB = await cli('codes', 'export', '--lot', 'B', '--status', 'available');
    expect(lotB.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(['B-1', 'B-2', 'B-3']);
    const bad = await cli('codes', 'export', '--status', 'gone');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--status must be one of available, expired, redeemed, voided')]);
  });
});

describe('CSV formula injection (issue 11)', () => {
  it('codes and lots a spreadsheet would run come back neutralised in the export and the import report', async () => {
    const file = files.write('code,lot\n"=HYPERLINK(""http://evil"",""x"")",=1+1\n+SUM(A1),L\n-2+3,L\n@cmd,L\n+SUM(A1),L\n');
    const report = files.path('formula-report.csv');
    const r = await cli('codes', 'import', '--reason', 'test', '--yes', file, '--reward', 'OTHER', '--skip-invalid', '--report', report);
    expect(r.code, r.stderr).toBe(0);
    const exported = await cli('codes', 'export', '--reward', 'OTHER', '--status', 'available');
    expect(exported.code, exported.stderr).toBe(0);
    const cells = exported.stdout.trim().split('\n').slice(1).map((l) => l.replace(/,OTHER,/, '|').split(',')[0]);
    expect(cells).toEqual(expect.arrayContaining([`"'=HYPERLINK(""http://evil""`, "'+SUM(A1)|L", "'-2+3|L", "'@cmd|L"]));
    expect(exported.stdout).toContain("|'=1+1".replace('|', ',OTHER,'));
    expect(exported.stdout.split('\n').every((line) => !/(^|,)[=+\-@]/.test(line))).toBe(true);
    // The report lists the duplicate +SUM(A1) on line 6, neutralised too.
    expect(readFileSync(report, 'utf8')).toContain("6,'+SUM(A1),");
  });
});

describe('codes void', () => {
  it('asks for --yes without a terminal, and changes nothing', async () => {
    const before = await codesFootprint(s.db);
    const r = await cli('codes', 'void', '--lot', 'A', '--reward', 'POOL', '--reason', 'leaked');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Not confirmed: stdin is not a terminal, so pass --yes to go ahead');
    const noReason = await cli('codes', 'void', '--lot', 'A', '--reward', 'POOL', '--yes');
    expect([noReason.code, noReason.stderr]).toEqual([2, expect.stringContaining('--reason is required to void codes')]);
    expect(await codesFootprint(s.db)).toEqual(before);
  });

  it('--dry-run counts; --lot voids the available codes (expired included), skips held ones (exit 1) and audits', async () => {
    const before = await codesFootprint(s.db);
    const dry = await cli('codes', 'void', '--lot', 'A', '--reward', 'POOL', '--reason', 'leaked', '--dry-run', '--json');
    expect(dry.code).toBe(1);
    expect(json(dry)).toMatchObject({ dry_run: true, matched: 4, available: 2, held: 2, already_voided: 0, voided: 0 });
    expect(await codesFootprint(s.db)).toEqual(before);

    const r = await cli('codes', 'void', '--lot', 'A', '--reward', 'POOL', '--reason', 'leaked', '--yes', '--json');
    expect(r.code, r.stderr).toBe(1);
    expect(json(r)).toMatchObject({
      success: false, matched: 4, available: 2, held: 2, voided: 2,
      held_codes: [{ code: 'A-1', redemption_code: held['A-1'] }, { code: 'A-2', redemption_code: held['A-2'] }],
      message: 'Voided 2 of 4 matching code(s) (2 held by live redemptions, skipped).',
    });
    expect((await poolRows(s.db, s.reward('POOL'))).map((row) => `${row.promo_code}:${row.status}`)).toEqual([
      'A-1:redeemed', 'A-2:redeemed', 'A-3:voided', 'A-4:voided', 'B-1:available', 'B-2:available', 'B-3:available',
    ]);
    const audit = await s.db.selectFrom('audit_log').selectAll().where('action', '=', 'codes_void').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ merchant_id: s.merchantId, actor: 'tester', target_type: 'reward', target_id: s.reward('POOL'), reason: 'leaked' });
    expect(audit[0]!.details).toEqual({ by: 'lot', value: 'A', voided: 2, held: 2 });

    const again = await cli('codes', 'void', '--lot', 'A', '--reward', 'POOL', '--reason', 'leaked', '--yes', '--json');
    expect(json(again)).toMatchObject({ matched: 4, available: 0, already_voided: 2, voided: 0 });
    const stats = json(await cli('codes', 'stats', '--reward', 'POOL', '--json')).rewards[0];
    expect(stats).toMatchObject({ available: 3, expired: 0, redeemed: 2, voided: 2, total: 7 });
  });

  it('--import voids an import and marks it voided; codes imports lists both', async () => {
    const r = await cli('codes', 'void', '--import', importB, '--reward', 'POOL', '--reason', 'partner recalled', '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    // The JSON keeps the audit log's word for an import (docs/codes.md, "Imports").
    expect(json(r)).toMatchObject({ success: true, matched: 3, voided: 3, held: 0, by: 'batch', value: importB });
    const list = await cli('codes', 'imports', '--json');
    expect(list.code).toBe(0);
    const imports = json(list).batches;
    expect(imports.map((b: { id: string }) => b.id)).toEqual([importB, importA]);
    expect(imports[0]).toMatchObject({ reward_code: 'POOL', lot: 'B', rows_read: 3, imported: 3, duplicates_in_file: 0, duplicates_in_pool: 0, invalid: 0, actor: 'tester' });
    expect(imports[0].sha256_prefix).toMatch(/^[0-9a-f]{12}$/);
    expect(imports[0].voided_at).not.toBeNull();
    expect(imports[1].voided_at).toBeNull();
    const human = await cli('codes', 'imports', '--reward', 'POOL');
    expect(human.stdout).toContain(importA);
    const unknown = await cli('codes', 'void', '--import', '00000000-0000-4000-8000-000000000000', '--reward', 'POOL', '--reason', 'x', '--yes');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('--import 00000000-0000-4000-8000-000000000000: no import of reward POOL has this id (see codes imports)')]);
    const notUuid = await cli('codes', 'void', '--import', 'B', '--reward', 'POOL', '--reason', 'x', '--yes');
    expect([notUuid.code, notUuid.stderr]).toEqual([2, expect.stringContaining('--import must be an import id (a uuid; see codes imports)')]);
  });

  it('the old names still work, hidden from the help: codes batches, codes void --batch', async () => {
    const old = await cli('codes', 'void', '--batch', importA, '--reward', 'POOL', '--reason', 'old script', '--yes', '--json');
    expect(old.code, old.stderr).toBe(1);
    expect(json(old)).toMatchObject({ by: 'batch', value: importA, matched: 4, voided: 2, held: 2 });
    const list = await cli('codes', 'batches', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(json(list)).toEqual(json(await cli('codes', 'imports', '--json')));
    const both = await cli('codes', 'void', '--import', importA, '--batch', importA, '--reward', 'POOL', '--reason', 'x', '--yes');
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('--batch is the old name of --import: give one of them')]);
    const help = await cli('codes', '--help');
    expect(help.stdout).toMatch(/^\s+imports\b/m);
    expect(help.stdout).not.toMatch(/^\s+batches\b/m);
    const voidHelp = await cli('codes', 'void', '--help');
    expect(voidHelp.stdout).toContain('--import <id>');
    expect(voidHelp.stdout).not.toContain('--batch');
  });

  it('--file voids the listed codes (an export works as the list), reporting those not in the pool', async () => {
    const list = files.write('code,status\nB-1,available\nA-1,redeemed\nNOT-THERE,x\nB-1,again\n');
    const r = await cli('codes', 'void', '--file', list, '--reward', 'POOL', '--reason', 'support ticket 7', '--yes', '--json');
    expect(r.code, r.stderr).toBe(1);
    expect(json(r)).toMatchObject({ matched: 2, voided: 1, held: 1, not_found: 1 });
    expect((await poolRows(s.db, s.reward('POOL'))).filter((row) => row.status === 'voided').map((row) => row.promo_code)).toEqual(['B-1']);
    const bad = await cli('codes', 'void', '--file', files.write('code\nB 2\n'), '--reward', 'POOL', '--reason', 'x', '--yes');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('line 2: code has whitespace inside: nothing voided')]);
  });
});
