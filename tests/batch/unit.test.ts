import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGivenBatchId, contentBatchId, rowEventId } from '../../src/batch/batchId.js';
import { BatchProgress, batchProgressState } from '../../src/batch/batchProgress.js';
import { readGrants, readHeader } from '../../src/batch/grantsCsv.js';
import { Outcomes } from '../../src/batch/outcomes.js';
import { GrantPlan } from '../../src/batch/plan.js';
import { TaskPool } from '../../src/batch/pool.js';
import { ReportFile } from '../../src/batch/report.js';
import { csvField } from '../../src/shared/csvWrite.js';
import { emptyCounts, type GrantRow, type RowResult } from '../../src/batch/types.js';
import type { QuoteResult } from '../../src/engine/types.js';
import { CsvFile } from '../../src/shared/csv.js';
import { UsageError } from '../../src/shared/errors.js';

// The parts of `batch run` that need no database.

const dir = mkdtempSync(join(tmpdir(), 'redeemctl-batch-unit-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
async function rows(path: string, mode: 'calc' | 'direct' = 'calc'): Promise<GrantRow[]> {
  const out: GrantRow[] = [];
  for await (const row of readGrants(new CsvFile(path), mode)) out.push(row);
  return out;
}

describe('reading a grants file', () => {
  it('numbers rows by the line they start on, with LF or CRLF, a BOM, quoted line breaks and blank lines', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = `\ufeff\nemail,reward_code,note${eol}a@x,R1,"one${eol}two${eol}three"${eol}${eol}b@x,R2,${eol} , , ${eol}c@x,R3,`;
      const got = await rows(file(`lines${eol.length}.csv`, text));
      expect(got.map((r) => [r.line, r.seq, r.member, r.reward])).toEqual([
        [3, 0, 'a@x', 'R1'],
        [7, 1, 'b@x', 'R2'],
        [9, 2, 'c@x', 'R3'],
      ]);
      expect(got[0]!.note).toBe(`one${eol}two${eol}three`);
    }
  });

  it('checks each row: quantity, mode, keys, field count; the first filled key column wins', async () => {
    const got = await rows(
      file(
        'rows.csv',
        [
          'user_id,email,tel,reward_code,quantity,mode',
          ',a@x,+1555,R,,',
          ',,+1555,R,1000,DIRECT',
          ',a@x,,R,1001,',
          ',a@x,,R,1.5,',
          ',a@x,,R,-1,',
          ',a@x,,R,1,force',
          'not-a-uuid,,,R,1,',
          ',,,R,1,',
          ',a@x,,,1,',
          ',a@x,,R,1',
        ].join('\n'),
      ),
      'direct',
    );
    expect(got.map((r) => r.problem?.code ?? `${r.memberColumn}:${r.member} q${r.quantity} ${r.mode}`)).toEqual([
      'email:a@x q1 direct',
      'tel:+1555 q1000 direct',
      'INVALID_QUANTITY',
      'INVALID_QUANTITY',
      'INVALID_QUANTITY',
      'INVALID_MODE',
      'INVALID_ROW',
      'MISSING_MEMBER',
      'MISSING_REWARD',
      'INVALID_ROW',
    ]);
    expect(got[6]!.problem!.message).toBe('user_id must be a uuid, got "not-a-uuid"');
  });

  it('refuses a header without a member or reward column, naming what is missing', () => {
    expect(() => readHeader('f.csv', ['email', 'quantity'])).toThrow('f.csv: the header has no reward column (add one of reward_id, reward_code)');
    expect(() => readHeader('f.csv', ['reward_id'])).toThrow(UsageError);
    expect([...readHeader('f.csv', [' TEL ', 'Reward_ID']).keys()]).toEqual(['tel', 'reward_id']);
  });

  it.each([
    ['a quote inside an unquoted field', 'email,reward_code\na@x,R\na@x,R"1\n', /^line 3: Invalid Opening Quote: .*; fix the file and run again$/],
    ['text after a closing quote', 'email,reward_code\na@x,"R"1\n', /^line 2: Invalid Closing Quote: .*; fix the file and run again$/],
    ['invalid UTF-8', Buffer.concat([Buffer.from('email,reward_code\na@x,R\nb'), Buffer.from([0xf6]), Buffer.from('@x,R\n')]), /^line 3 is not valid UTF-8; save the file as UTF-8 and run again$/],
    ['a file ending inside a character', Buffer.concat([Buffer.from('email,reward_code\na@x,R'), Buffer.from([0xc3])]), /^the file ends inside a UTF-8 character; save it as UTF-8 and run again$/],
  ])('refuses %s: a usage error naming the file and the line', async (_name, content, message) => {
    const path = file('refused.csv', content);
    const error = await rows(path).then(() => null, (thrown: unknown) => thrown as Error);
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message.startsWith(`${path}: `)).toBe(true);
    expect(error!.message.slice(path.length + 2)).toMatch(message);
  });

  it('refuses an overlong row (a runaway quote) with its line', async () => {
    const path = file('long.csv', `email,reward_code\na@x,R\na@x,"${'x'.repeat(70_000)}\n`);
    await expect(rows(path)).rejects.toThrow(/long\.csv: line \d+: a row is longer than 65536 characters/);
  });
});

describe('batch and event ids', () => {
  const sha = 'a'.repeat(64);
  it('derive a short stable id from the merchant and the file hash', () => {
    const id = contentBatchId('11111111-1111-1111-1111-111111111111', sha);
    expect(id).toMatch(/^b-[0-9a-f]{16}$/);
    expect(contentBatchId('11111111-1111-1111-1111-111111111111', sha)).toBe(id);
    expect(contentBatchId('22222222-2222-2222-2222-222222222222', sha)).not.toBe(id);
    expect(contentBatchId('11111111-1111-1111-1111-111111111111', 'b'.repeat(64))).not.toBe(id);
    expect(rowEventId(id, 17)).toBe(`${id}:17`);
  });
  it('accept an operator batch id only in a safe shape', () => {
    expect(checkGivenBatchId('spring-2026.v2')).toBe('spring-2026.v2');
    for (const bad of ['', 'a:b', '-x', 'a b', 'x'.repeat(65)]) expect(() => checkGivenBatchId(bad)).toThrow(UsageError);
  });
});

describe('the report', () => {
  it('quotes fields only when needed', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', ' pad', '', null].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '" pad"', '', '']);
  });

  it('is written in file order as rows complete out of order, each line once', () => {
    const path = join(dir, 'ordered.csv');
    const report = ReportFile.open(path, join(dir, 'input.csv'));
    const outcomes = new Outcomes(report);
    const result = (seq: number): RowResult => ({
      line: seq + 2, seq, member: `m${seq}`, reward: 'R', quantity: '1', outcome: 'granted', error_code: null, message: 'ok',
      event_id: `b:${seq + 2}`, redemption_codes: ['RWD1', 'RWD2'], promo_codes: [], units: 1, points: 5,
    });
    outcomes.add(result(2));
    outcomes.add(result(1));
    // the header only: row 0 is not done; until the run ends the report is beside its path
    expect(readFileSync(`${path}.partial`, 'utf8').split('\n')).toHaveLength(2);
    expect(existsSync(path)).toBe(false);
    outcomes.add(result(0));
    report.close();
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(
      'row,member,reward,quantity,outcome,error_code,message,event_id,redemption_codes,promo_codes\n' +
        '2,m0,R,1,granted,,ok,b:2,RWD1;RWD2,\n3,m1,R,1,granted,,ok,b:3,RWD1;RWD2,\n4,m2,R,1,granted,,ok,b:4,RWD1;RWD2,\n',
    );
    expect(outcomes).toMatchObject({ units: 3, points: 15, done: 3, counts: { granted: 3 } });
  });

  it('keeps rows for --json up to 10,000, then counts only', () => {
    const outcomes = new Outcomes(null);
    const row = (seq: number): RowResult => ({
      line: seq + 2, seq, member: 'm', reward: 'R', quantity: '1', outcome: seq === 5 ? 'refused' : 'granted', error_code: null, message: '',
      event_id: null, redemption_codes: [], promo_codes: [], units: 1, points: 0,
    });
    for (let seq = 0; seq < 10_000; seq++) outcomes.add(row(seq));
    expect(outcomes.rows).toHaveLength(10_000);
    outcomes.add(row(10_000));
    expect(outcomes.rows).toBeNull();
    expect(outcomes).toMatchObject({ done: 10_001, problemCount: 1, counts: { granted: 10_000, refused: 1 } });
  });
});

describe('the pre-check plan', () => {
  const quote = (over: Partial<QuoteResult>): QuoteResult => ({
    eligible: true, error_code: null, message: null, points_per_unit: 100, balance: 500, max_quantity: 5, limits: [], stock_remaining: null, codes_available: null, ...over,
  });

  it('keeps running budgets: a member balance across rewards, a pool across members, limits and stock', () => {
    const quotes: Record<string, QuoteResult> = {
      'u1|pool': quote({ codes_available: 3 }),
      'u2|pool': quote({ codes_available: 3, balance: 1000 }),
      'u1|mug': quote({ points_per_unit: 200, stock_remaining: 4, limits: [{ scope: 'total', unit: 'month', limit: 10, used: 7, remaining: 3 }] }),
      'u2|mug': quote({ points_per_unit: 200, stock_remaining: 4, balance: 1000, limits: [{ scope: 'total', unit: 'month', limit: 10, used: 7, remaining: 3 }] }),
    };
    const plan = new GrantPlan((u, r) => quotes[`${u}|${r}`]!, new Map([['pool', 3]]));
    expect(plan.check({ userId: 'u1', rewardId: 'pool', quantity: 2, mode: 'calc' })).toEqual({ ok: true, points: 200 });
    expect(plan.check({ userId: 'u2', rewardId: 'pool', quantity: 2, mode: 'direct' })).toEqual({
      ok: false, code: 'INSUFFICIENT_CODES', message: 'Only 1 code(s) available, you requested 2 (after earlier rows of this file)',
    });
    expect(plan.check({ userId: 'u1', rewardId: 'mug', quantity: 2, mode: 'calc' })).toEqual({
      ok: false, code: 'INSUFFICIENT_POINTS', message: 'Insufficient points. Required: 400, Available: 300 (after earlier rows of this file)',
    });
    // direct skips points and the limit check, but its usage counts for later calc rows.
    expect(plan.check({ userId: 'u2', rewardId: 'mug', quantity: 2, mode: 'direct' })).toEqual({ ok: true, points: 0 });
    expect(plan.check({ userId: 'u2', rewardId: 'mug', quantity: 2, mode: 'calc' })).toMatchObject({
      ok: false, code: 'LIMIT_EXCEEDED', message: 'Limit exceeded: 10 per month (total scope), used 9, remaining 1, requested 2 (after earlier rows of this file)',
    });
    expect(plan.check({ userId: 'u2', rewardId: 'mug', quantity: 1, mode: 'calc' })).toEqual({ ok: true, points: 200 });
  });

  it('a blocker stops calc rows; only a missing or inactive member or reward stops direct ones', () => {
    const plan = new GrantPlan(
      (u) => (u === 'inactive' ? quote({ error_code: 'USER_INACTIVE', message: 'User account is inactive' }) : quote({ error_code: 'NOT_ELIGIBLE', message: 'Not eligible for this reward: tier' })),
      new Map(),
    );
    expect(plan.check({ userId: 'u', rewardId: 'r', quantity: 1, mode: 'calc' })).toEqual({ ok: false, code: 'NOT_ELIGIBLE', message: 'Not eligible for this reward: tier' });
    expect(plan.check({ userId: 'u', rewardId: 'r', quantity: 1, mode: 'direct' })).toEqual({ ok: true, points: 0 });
    expect(plan.check({ userId: 'inactive', rewardId: 'r', quantity: 1, mode: 'direct' })).toMatchObject({ ok: false, code: 'USER_INACTIVE' });
  });
});

describe('the task pool', () => {
  it('never runs more than its size at once', async () => {
    const pool = new TaskPool(3);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await pool.run(async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
      });
    }
    await pool.drain();
    expect(peak).toBe(3);
  });

  it('stops at the first failure, after the tasks in flight settle', async () => {
    const pool = new TaskPool(2);
    const finished: number[] = [];
    await pool.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      finished.push(1);
    });
    await pool.run(async () => {
      throw new Error('boom');
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(pool.run(async () => void finished.push(2))).rejects.toThrow('boom');
    await expect(pool.drain()).rejects.toThrow('boom');
    expect(finished).toEqual([1]);
  });
});

describe('progress', () => {
  const state = { done: 1200, total: 3000, counts: { ...emptyCounts(), granted: 1180, refused: 20 }, dryRun: false };
  it('a bar of rows done of total, with granted and refused (and skipped) as its detail', () => {
    expect(batchProgressState(state)).toEqual({ label: 'granting rows', done: 1200, total: 3000, detail: 'granted 1,180 · refused 20' });
    expect(batchProgressState({ ...state, dryRun: true, counts: { ...state.counts, would_grant: 12_000, skipped: 3 } })).toEqual({
      label: 'checking rows',
      done: 1200,
      total: 3000,
      detail: 'would grant 12,000 · refused 20 · skipped 3',
    });
  });
  it('on a TTY: redrawn in place with the smoothed rate, throttled, cleared at the end', () => {
    let out = '';
    let now = 0;
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (out += s), isTTY: true, columns: 120 }, env: {} };
    const progress = new BatchProgress(io, { now: () => now });
    progress.update({ ...state, done: 0 });
    now = 3000;
    progress.update(state);
    now = 3050;
    progress.update(state); // throttled
    progress.end();
    const lines = out.split('\r\u001b[2K');
    expect(lines[2]).toBe('granting rows [█████████░░░░░░░░░░░░░░░] 40% 1,200/3,000 · 400/s · ETA 5s · granted 1,180 · refused 20');
    expect(lines).toHaveLength(4);
    expect(out.endsWith('\r\u001b[2K')).toBe(true);
  });
  it('through a pipe: nothing in a short run, then a plain line every 10 s', () => {
    let out = '';
    let now = 0;
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (out += s), isTTY: false }, env: {} };
    const progress = new BatchProgress(io, { now: () => now });
    progress.update({ ...state, done: 0 });
    now = 3000;
    progress.update(state);
    progress.end();
    expect(out).toBe('');
    now = 12_000;
    progress.update({ ...state, done: 1500 });
    expect(out).toBe('granting rows 50% 1,500/3,000 · 33/s · ETA 45s · granted 1,180 · refused 20\n');
  });
});
