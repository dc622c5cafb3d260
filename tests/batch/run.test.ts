import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld, reportLines } from '../support/batchWorld.js';
import { runInProcess } from '../support/cliHarness.js';

// `batch run` in process against a real PostgreSQL database: one merchant per test.
// Decisions under test: docs/batch.md.

let handle: TestDatabase;
let world: BatchWorld;
const json = <T = Record<string, any>>(r: { stdout: string }): T => JSON.parse(r.stdout) as T;
const HEADER = 'row,member,reward,quantity,outcome,error_code,message,event_id,redemption_codes,promo_codes';

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 6 });
});
beforeEach(async () => {
  world = await BatchWorld.create(handle.database.db, handle.url!);
});
afterEach(async () => {
  expect(await findViolations(handle.database.db)).toEqual([]);
});
afterAll(async () => {
  await handle?.drop();
});

/** RWD codes of a row's request, in the order the engine lists them. */
async function codesOf(eventId: string): Promise<string> {
  const rows = await world.db
    .selectFrom('reward_redemptions_ledger')
    .select('code')
    .where('event_id', '=', eventId)
    .where('success', '=', true)
    .orderBy('promo_code_id')
    .execute();
  return rows.map((r) => r.code).join(';');
}

describe('a good file', () => {
  it('grants every row through the engine, members and rewards by any key, and writes the exact report', async () => {
    const s = world.scenario;
    const text = [
      'user_id,email,tel,reward_id,reward_code,quantity,mode,note',
      `${s.user('ann@b.test')},,,,VOUCHER,2,,welcome`,
      `,bob@b.test,,${s.reward('MUG')},,,direct,`,
      ',,+15550200004,,TOTE,2,calc,',
      ',ANN@B.TEST,,,PASS,,,',
      ',,+15550200001,,MUG,1,direct,"goodwill, late order"',
    ].join('\n') + '\n';
    const file = world.file('good.csv', text);
    const batchId = world.batchIdOf(text);
    expect(batchId).toMatch(/^b-[0-9a-f]{16}$/);

    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--report', world.path('good.report.csv'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const summary = json(r);
    expect(summary).toMatchObject({
      batch_id: batchId,
      status: 'completed',
      run: 1,
      rows: 5,
      counts: { granted: 5, already_granted: 0, refused: 0, invalid: 0, skipped: 0 },
      units: 7,
      points: 270,
      problem_count: 0,
    });
    expect(summary.results.map((row: any) => [row.line, row.outcome, row.units, row.points])).toEqual([
      [2, 'granted', 2, 200],
      [3, 'granted', 1, 0],
      [4, 'granted', 2, 20],
      [5, 'granted', 1, 50],
      [6, 'granted', 1, 0],
    ]);

    const ledger = await world.ledger(batchId);
    expect(ledger.map((l) => [l.event_id, l.qty, l.promo_code, l.points_deducted, l.mode, l.reason])).toEqual([
      [`${batchId}:2`, 1, 'V-000001', 100, 'calc', 'r: welcome'],
      [`${batchId}:2`, 1, 'V-000002', 100, 'calc', 'r: welcome'],
      [`${batchId}:3`, 1, 'MUG-PICKUP', 0, 'direct', 'r'],
      [`${batchId}:4`, 2, null, 20, 'calc', 'r'],
      [`${batchId}:5`, 1, null, 50, 'calc', 'r'],
      [`${batchId}:6`, 1, 'MUG-PICKUP', 0, 'direct', 'r: goodwill, late order'],
    ]);
    for (const row of ledger) expect(row).toMatchObject({ success: true, source_type: 'batch', source_id: batchId, actor: 'tester' });
    expect(ledger.map((l) => l.user_id)).toEqual([
      s.user('ann@b.test'), s.user('ann@b.test'), s.user('bob@b.test'), s.user('+15550200004'), s.user('ann@b.test'), s.user('ann@b.test'),
    ]);
    expect(await world.balances()).toEqual({ 'ann@b.test': 750, 'bob@b.test': 500, 'cat@b.test': 100, '+15550200004': 280 });

    const report = readFileSync(world.path('good.report.csv'), 'utf8');
    expect(report).toBe(
      [
        HEADER,
        `2,${s.user('ann@b.test')},VOUCHER,2,granted,,Redeemed 2 x VOUCHER for 200 points,${batchId}:2,${await codesOf(`${batchId}:2`)},V-000001;V-000002`,
        `3,bob@b.test,${s.reward('MUG')},1,granted,,Redeemed 1 x MUG for 0 points,${batchId}:3,${await codesOf(`${batchId}:3`)},MUG-PICKUP`,
        `4,+15550200004,TOTE,2,granted,,Redeemed 2 x TOTE for 20 points,${batchId}:4,${await codesOf(`${batchId}:4`)},`,
        `5,ANN@B.TEST,PASS,1,granted,,Redeemed 1 x PASS for 50 points,${batchId}:5,${await codesOf(`${batchId}:5`)},`,
        `6,+15550200001,MUG,1,granted,,Redeemed 1 x MUG for 0 points,${batchId}:6,${await codesOf(`${batchId}:6`)},MUG-PICKUP`,
      ].join('\n') + '\n',
    );
    expect(report).toMatch(/,RWD[0-9A-Z]{16};RWD[0-9A-Z]{16},V-000001;V-000002\n/);

    // The human output of `batch status` and the batch record.
    const status = json(await world.cli('batch', 'status', batchId, '--json'));
    expect(status).toMatchObject({ batch_id: batchId, file_name: 'good.csv', status: 'completed', mode: 'calc', actor: 'tester', reason: 'r', runs: 1, rows: 5, granted: 5, refused: 0, invalid: 0, pending: 0, redemptions: 6, units: 7, points: 270, cancelled: 0 });
  });

  it('prints a human summary with the undo command, and nothing on stderr when it is not a TTY', async () => {
    const file = world.file('human.csv', ['email,reward_code', 'bob@b.test,MUG']);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`DONE batch ${world.batchIdOf('email,reward_code\nbob@b.test,MUG\n')} from ${file}`);
    expect(r.stdout).toMatch(/^granted {2,}1$/m);
    expect(r.stdout).toContain('Undo the whole batch: redeemctl cancel --batch b-');
  });
});

describe('per-row mode with bad rows', () => {
  it('grants the good rows, reports each bad one with its line and error code, and exits 1', async () => {
    const text = [
      'email,reward_code,quantity,mode',
      'ann@b.test,MUG,1,', // 2 granted
      'nobody@b.test,MUG,1,', // 3 unknown member
      'bob@b.test,NOPE,1,', // 4 unknown reward
      'bob@b.test,MUG,0,', // 5 bad quantity
      'bob@b.test,MUG,1,force', // 6 mode not allowed in a batch
      'cat@b.test,MUG,1,', // 7 not enough points (engine refusal)
      'bob@b.test,PASS,1,', // 8 not eligible (engine refusal)
      ',MUG,1,', // 9 no member
      'bob@b.test,MUG', // 10 short row
      '',
      'bob@b.test,TOTE,2,', // 12 granted (blank line 11 skipped, still counted)
    ].join('\n') + '\n';
    const file = world.file('mixed.csv', text);
    const batchId = world.batchIdOf(text);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--report', world.path('mixed.report.csv'), '--json');
    expect(r.code, r.stderr).toBe(1);
    expect(json(r)).toMatchObject({ status: 'completed', rows: 10, counts: { granted: 2, refused: 4, invalid: 4 }, problem_count: 8 });
    const lines = reportLines(readFileSync(world.path('mixed.report.csv'), 'utf8'));
    expect(lines.map((l) => l.split(',').slice(0, 6).join(','))).toEqual([
      'row,member,reward,quantity,outcome,error_code',
      '2,ann@b.test,MUG,1,granted,',
      '3,nobody@b.test,MUG,1,refused,USER_NOT_FOUND',
      '4,bob@b.test,NOPE,1,refused,REWARD_NOT_FOUND',
      '5,bob@b.test,MUG,0,invalid,INVALID_QUANTITY',
      '6,bob@b.test,MUG,1,invalid,INVALID_MODE',
      '7,cat@b.test,MUG,1,refused,INSUFFICIENT_POINTS',
      '8,bob@b.test,PASS,1,refused,NOT_ELIGIBLE',
      '9,,MUG,1,invalid,MISSING_MEMBER',
      '10,bob@b.test,MUG,,invalid,INVALID_ROW',
      '12,bob@b.test,TOTE,2,granted,',
    ]);
    expect(lines[4]).toContain('"quantity must be a whole number from 1 to 1000, got ""0"""');
    expect(lines[6]).toContain(`"Insufficient points. Required: 200, Available: 100",${batchId}:7,,`);
    expect(lines[9]).toContain('"expected 4 field(s) as in the header, found 2",,,');

    // Engine refusals are recorded (so a rerun returns them); rows refused before the engine are not.
    const requests = await world.requests(batchId);
    expect(requests.map((q) => [q.event_id, q.status, q.error_code])).toEqual([
      [`${batchId}:12`, 'succeeded', null],
      [`${batchId}:2`, 'succeeded', null],
      [`${batchId}:7`, 'failed', 'INSUFFICIENT_POINTS'],
      [`${batchId}:8`, 'failed', 'NOT_ELIGIBLE'],
    ]);
    const status = json(await world.cli('batch', 'status', batchId, '--json'));
    expect(status).toMatchObject({ rows: 10, granted: 2, refused: 4, invalid: 4, pending: 0 });
    expect(status.refusals).toEqual([
      { error_code: 'INSUFFICIENT_POINTS', rows: 1 },
      { error_code: 'NOT_ELIGIBLE', rows: 1 },
      { error_code: 'USER_NOT_FOUND or REWARD_NOT_FOUND (not sent)', rows: 2 },
    ]);

    // Run again: the same outcomes (engine refusals are the stored results), nothing new written.
    const footprint = await world.footprint();
    const again = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--report', world.path('mixed.again.csv'));
    expect(again.code).toBe(1);
    expect(readFileSync(world.path('mixed.again.csv'), 'utf8')).toBe(
      readFileSync(world.path('mixed.report.csv'), 'utf8').replaceAll(',granted,', ',already_granted,'),
    );
    expect(await world.footprint()).toEqual({ ...footprint, audit: footprint.audit! + 1 });
  });
});

describe('--all-or-nothing', () => {
  it('one invalid row: grants nothing, writes nothing, names the row, exits 1', async () => {
    const before = await world.footprint();
    const balances = await world.balances();
    const file = world.file('aon-invalid.csv', ['email,reward_code,quantity', 'ann@b.test,VOUCHER,1', 'bob@b.test,MUG,1', 'cat@b.test,TOTE,2.5']);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--all-or-nothing', '--report', world.path('aon.report.csv'), '--json');
    expect(r.code, r.stderr).toBe(1);
    expect(json(r)).toMatchObject({ status: 'refused', run: null, counts: { granted: 0, invalid: 1, skipped: 2 } });
    expect(json(r).problems).toMatchObject([
      { line: 2, outcome: 'skipped' },
      { line: 3, outcome: 'skipped' },
      { line: 4, outcome: 'invalid', error_code: 'INVALID_QUANTITY' },
    ]);
    expect(await world.footprint()).toEqual(before);
    expect(await world.balances()).toEqual(balances);
    const lines = reportLines(readFileSync(world.path('aon.report.csv'), 'utf8'));
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 6).join(','))).toEqual([
      '2,ann@b.test,VOUCHER,1,skipped,',
      '3,bob@b.test,MUG,1,skipped,',
      '4,cat@b.test,TOTE,2.5,invalid,INVALID_QUANTITY',
    ]);
    expect(lines[1]).toContain('not granted: 1 row(s) of this all-or-nothing batch would fail');
  });

  it('rows that pass one by one but not together (one balance, one pool): grants nothing, exits 1', async () => {
    const before = await world.footprint();
    // bob has 500 points: a mug (200) and two totes (20) leave 280, and the second row of mugs
    // wants 400 (alone it would pass). ann and cat together want 6 codes of a pool of 5.
    const file = world.file('aon-shared.csv', [
      'email,reward_code,quantity,mode',
      'bob@b.test,MUG,1,calc',
      'bob@b.test,TOTE,2,calc',
      'bob@b.test,MUG,2,calc',
      'ann@b.test,VOUCHER,3,direct',
      'cat@b.test,VOUCHER,3,direct',
    ]);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--all-or-nothing', '--json');
    expect(r.code, r.stderr).toBe(1);
    const summary = json(r);
    expect(summary).toMatchObject({ status: 'refused', counts: { refused: 2, skipped: 3 } });
    expect(summary.problems.filter((p: any) => p.outcome === 'refused')).toMatchObject([
      { line: 4, error_code: 'INSUFFICIENT_POINTS', message: 'Insufficient points. Required: 400, Available: 280 (after earlier rows of this file)' },
      { line: 6, error_code: 'INSUFFICIENT_CODES', message: 'Only 2 code(s) available, you requested 3 (after earlier rows of this file)' },
    ]);
    expect(await world.footprint()).toEqual(before);
  });

  it('a file that passes the pre-check is granted whole', async () => {
    const file = world.file('aon-good.csv', ['email,reward_code,quantity', 'bob@b.test,MUG,2', 'ann@b.test,VOUCHER,5']);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--all-or-nothing', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ status: 'completed', counts: { granted: 2 }, units: 7, points: 900 });
    expect(await world.balances()).toMatchObject({ 'bob@b.test': 100, 'ann@b.test': 500 });
  });
});

describe('--dry-run', () => {
  it('quotes every row and writes nothing, not even a batch record', async () => {
    const before = await world.footprint();
    const file = world.file('dry.csv', ['email,reward_code,quantity', 'ann@b.test,VOUCHER,2', 'cat@b.test,MUG,1', 'bob@b.test,TOTE,3']);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--dry-run', '--report', world.path('dry.report.csv'), '--json');
    expect(r.code, r.stderr).toBe(1);
    const summary = json(r);
    expect(summary).toMatchObject({ status: 'planned', dry_run: true, run: null, counts: { would_grant: 1, refused: 2 }, units: 2, points: 200 });
    expect(summary.results.map((x: any) => [x.line, x.outcome, x.error_code])).toEqual([
      [2, 'would_grant', null],
      [3, 'refused', 'INSUFFICIENT_POINTS'],
      [4, 'refused', 'LIMIT_EXCEEDED'],
    ]);
    expect(summary.results[2].message).toBe('Limit exceeded: 2 per all_time (user scope), used 0, remaining 2, requested 3');
    expect(await world.footprint()).toEqual(before);
    const human = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--dry-run');
    expect(human.stdout).toContain('DRY RUN (nothing written)');
    expect(await world.footprint()).toEqual(before);
    expect(reportLines(readFileSync(world.path('dry.report.csv'), 'utf8'))).toHaveLength(4);
  });
});

describe('the sample file fixtures/grants/demo-grants.csv', () => {
  it('would be granted whole for the demo merchant (db seed)', async () => {
    const seeded = await world.cli('db', 'seed', '--json');
    expect(seeded.code, seeded.stderr).toBe(0);
    const env = { ...world.env, REDEEMCTL_MERCHANT: 'Demo Coffee Co' };
    const r = await runInProcess(['batch', 'run', '--yes', fileURLToPath(new URL('../../fixtures/grants/demo-grants.csv', import.meta.url)), '--reason', 'demo', '--all-or-nothing', '--dry-run', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'planned', rows: 5, counts: { would_grant: 5 }, units: 6, points: 820 });
  });
});

describe('running the same file again', () => {
  it('grants nothing more: balances, codes and ledger unchanged, every row already_granted, exit 0', async () => {
    const text = ['email,reward_code,quantity,mode', 'ann@b.test,VOUCHER,2,', 'bob@b.test,MUG,1,direct', 'cat@b.test,TOTE,1,'].join('\n') + '\n';
    const file = world.file('again.csv', text);
    const batchId = world.batchIdOf(text);
    const first = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--report', world.path('first.csv'));
    expect(first.code, first.stderr).toBe(0);
    const after = { footprint: await world.footprint(), balances: await world.balances(), codes: await world.scenario.codeStatuses('VOUCHER'), ledger: await world.ledger(batchId) };
    const firstReport = readFileSync(world.path('first.csv'), 'utf8');

    const second = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--report', world.path('second.csv'), '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(json(second)).toMatchObject({ batch_id: batchId, run: 2, counts: { granted: 0, already_granted: 3 }, units: 4, points: 210 });
    expect(await world.balances()).toEqual(after.balances);
    expect(await world.scenario.codeStatuses('VOUCHER')).toEqual(after.codes);
    expect(await world.ledger(batchId)).toEqual(after.ledger);
    const footprint = await world.footprint();
    // Only the batch's own bookkeeping moves: one audit row for the second run.
    expect(footprint).toEqual({ ...after.footprint, audit: after.footprint.audit! + 1 });
    // The same report, but every row already_granted, with the same codes.
    expect(readFileSync(world.path('second.csv'), 'utf8')).toBe(firstReport.replaceAll(',granted,', ',already_granted,'));
    // The stored results were read, not replayed through the engine (no redelivery counted).
    const requests = await world.requests(batchId);
    expect(requests.map((q) => q.redelivery_count)).toEqual([0, 0, 0]);
  });

  it('refuses the same --batch-id with another file, and the same file with another --mode', async () => {
    const a = world.file('a.csv', ['email,reward_code', 'bob@b.test,TOTE']);
    const b = world.file('b.csv', ['email,reward_code', 'cat@b.test,TOTE']);
    expect((await world.cli('batch', 'run', '--yes', a, '--reason', 'r', '--batch-id', 'spring-2026')).code).toBe(0);
    const other = await world.cli('batch', 'run', '--yes', b, '--reason', 'r', '--batch-id', 'spring-2026');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('Batch spring-2026 was run from a different file (a.csv');
    const mode = await world.cli('batch', 'run', '--yes', a, '--reason', 'r', '--batch-id', 'spring-2026', '--mode', 'direct');
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain('Batch spring-2026 was run with --mode calc; rerun it with --mode calc');
  });
});

describe('batch status and cancel --batch', () => {
  it('lists batches with counts, and cancel --batch refunds every row of the batch', async () => {
    const balances = await world.balances();
    const codes = await world.scenario.codeStatuses('VOUCHER');
    const text = ['email,reward_code,quantity', 'ann@b.test,VOUCHER,3', 'bob@b.test,MUG,2', 'cat@b.test,MUG,1', 'nobody@b.test,TOTE,2'].join('\n') + '\n';
    const file = world.file('cancel.csv', text);
    const batchId = world.batchIdOf(text);
    expect((await world.cli('batch', 'run', '--yes', file, '--reason', 'r')).code).toBe(1);

    const list = json(await world.cli('batch', 'status', '--json'));
    expect(list.batches).toEqual([
      expect.objectContaining({ batch_id: batchId, status: 'completed', rows: 4, granted: 2, refused: 2, invalid: 0, pending: 0, redemptions: 4, units: 5, points: 700, cancelled: 0 }),
    ]);
    const human = await world.cli('batch', 'status');
    expect(human.stdout).toMatch(new RegExp(`^${batchId} {2}cancel\\.csv {2,}completed {2}`, 'm'));

    const cancel = await world.cli('cancel', '--batch', batchId, '--reason', 'wrong campaign', '--yes', '--json');
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(json(cancel)).toMatchObject({ success: true, cancelled: 4, points_refunded: 700, codes_affected: 3 });
    expect(await world.balances()).toEqual(balances);
    expect(await world.scenario.codeStatuses('VOUCHER')).toEqual(codes);
    const rows = await world.ledger(batchId);
    expect(rows.filter((l) => l.success).every((l) => l.cancelled_at !== null && l.cancel_reason === 'wrong campaign')).toBe(true);
    expect(json(await world.cli('batch', 'status', batchId, '--json'))).toMatchObject({ granted: 2, redemptions: 0, units: 0, points: 0, cancelled: 4 });

    const missing = await world.cli('batch', 'status', 'b-0000000000000000', '--json');
    expect(missing.code).toBe(1);
    expect(json(missing)).toEqual({ error_code: 'BATCH_NOT_FOUND', message: 'No batch b-0000000000000000' });
  });
});
