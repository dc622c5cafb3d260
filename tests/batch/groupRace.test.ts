import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld, effectsOfBatch, reportLines } from '../support/batchWorld.js';

// The residual race of --all-or-nothing (docs/batch.md) in the middle of a group: the pre-check
// passes (quotes report 1,000 points more than members hold, as in race.test.ts), the engine
// refuses a row of a group. The group ends there (continueAfter), commits the rows before it, and
// every later row, in that group or after it, is reported skipped and never sent.

vi.mock('../../src/engine/quote.js', async (importOriginal) =>
  (await import('../support/overstatedQuotes.js')).overstatedQuotes(await importOriginal()),
);

let handle: TestDatabase;

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 4 });
});
afterAll(async () => {
  expect(await findViolations(handle.database.db)).toEqual([]);
  await handle?.drop();
});

describe('--all-or-nothing when a row in the middle of a group is refused while granting', () => {
  it.each([
    ['one group at a time', '1'],
    ['three groups in flight', '3'],
  ])('%s: the rows before it granted, it refused, the rest of its group and every group not yet started skipped and never sent', async (_name, concurrency) => {
    const world = await BatchWorld.create(handle.database.db, handle.url!);
    // cat holds 100 points: line 5 (a 200-point mug) is refused, the fourth row of the first group of 5.
    const rows = ['ann@b.test,TOTE', 'bob@b.test,TOTE', 'ann@b.test,MUG', 'cat@b.test,MUG', 'bob@b.test,MUG', 'ann@b.test,TOTE', 'bob@b.test,TOTE', 'ann@b.test,PASS', 'cat@b.test,TOTE', 'bob@b.test,MUG', 'cat@b.test,TOTE', 'ann@b.test,PASS'];
    const text = ['email,reward_code', ...rows].join('\n') + '\n';
    const file = world.file('group-race.csv', text);
    const batchId = world.batchIdOf(text);
    const before = await world.balances();
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--all-or-nothing', '--group-size', '5', '--concurrency', concurrency, '--report', world.path('group-race.report.csv'), '--json');
    expect(r.code, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: 'stopped', stopped_at_line: 5, rows: 12, rows_done: 12 });
    const outcomes = reportLines(readFileSync(world.path('group-race.report.csv'), 'utf8')).slice(1).map((l) => l.split(',').slice(0, 6).join(','));
    // The first group is lines 2..6: it ends at the refusal, and line 6 is never sent. Groups that
    // started before the refusal was known (concurrency 3: lines 7..11 and 12..13) stop at their
    // next row boundary once it is, as single rows in flight always finished: rows they granted
    // stay granted, and the rest are skipped.
    // One group at a time keeps file order: lines 2..4 granted, line 5 refused, line 6 never sent.
    // With groups side by side a group's rows run in member order (src/batch/grantGroup.ts: no
    // deadlocks between groups), and members' ids are random, so any row of the first group may
    // come before or after cat's refusal: each is granted or skipped, line 5 is the one refusal.
    if (concurrency === '1') {
      expect(outcomes.slice(0, 5)).toEqual(['2,ann@b.test,TOTE,1,granted,', '3,bob@b.test,TOTE,1,granted,', '4,ann@b.test,MUG,1,granted,', '5,cat@b.test,MUG,1,refused,INSUFFICIENT_POINTS', '6,bob@b.test,MUG,1,skipped,']);
    } else {
      expect(outcomes[3]).toBe('5,cat@b.test,MUG,1,refused,INSUFFICIENT_POINTS');
      for (const o of outcomes.filter((_, i) => i !== 3)) expect(o).toMatch(/,(granted|skipped),$/);
    }
    const effects = await effectsOfBatch(world.db, batchId);
    for (const [i, outcome] of outcomes.entries()) {
      const line = i + 2;
      const effect = effects.get(`${batchId}:${line}`);
      if (outcome.endsWith('skipped,')) expect(effect, `line ${line}`).toBeUndefined();
      else if (line > 5) expect(outcome, `line ${line}`).toMatch(/,granted,$/);
    }
    if (concurrency === '1') expect(outcomes.slice(4).every((o) => o.endsWith(',skipped,'))).toBe(true);
    const granted = outcomes.filter((o) => o.endsWith(',granted,')).length;
    expect(effects.size).toBe(granted + 1);
    expect(summary.counts).toMatchObject({ granted, refused: 1, skipped: 12 - granted - 1 });
    // Balances charged for the granted rows only.
    const price: Record<string, number> = { TOTE: 10, MUG: 200, PASS: 50 };
    const charged: Record<string, number> = {};
    for (const o of outcomes.filter((x) => x.endsWith(',granted,'))) {
      const [, member, reward] = o.split(',');
      charged[member!] = (charged[member!] ?? 0) + price[reward!]!;
    }
    const after = await world.balances();
    for (const member of ['ann@b.test', 'bob@b.test', 'cat@b.test']) expect(before[member]! - after[member]!, member).toBe(charged[member] ?? 0);
  });
});
