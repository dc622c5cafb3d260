import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { findViolations } from '../support/invariants.js';
import { BatchWorld, reportLines } from '../support/batchWorld.js';

// The residual race of --all-or-nothing (docs/batch.md): something changes between the
// pre-check and a row's grant. Simulated by quotes that report 1,000 points more than members
// hold, as if they had spent them in the meantime: the pre-check passes, the engine refuses.

vi.mock('../../src/engine/quote.js', async (importOriginal) =>
  (await import('../support/overstatedQuotes.js')).overstatedQuotes(await importOriginal()),
);

let handle: TestDatabase;
let world: BatchWorld;

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 4 });
  world = await BatchWorld.create(handle.database.db, handle.url!);
});
afterAll(async () => {
  expect(await findViolations(handle.database.db)).toEqual([]);
  await handle?.drop();
});

describe('--all-or-nothing when a row is refused while granting', () => {
  it('stops sending rows, reports the rest skipped, marks the batch stopped and exits 1', async () => {
    const text = ['email,reward_code', 'bob@b.test,MUG', 'cat@b.test,MUG', 'ann@b.test,MUG', 'bob@b.test,TOTE'].join('\n') + '\n';
    const file = world.file('race.csv', text);
    const batchId = world.batchIdOf(text);
    const r = await world.cli('batch', 'run', '--yes', file, '--reason', 'r', '--all-or-nothing', '--concurrency', '1', '--report', world.path('race.report.csv'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`STOPPED at line 3 (all-or-nothing) batch ${batchId}`);
    expect(r.stdout).toContain(`Undo the whole batch: redeemctl cancel --batch ${batchId}`);
    expect(reportLines(readFileSync(world.path('race.report.csv'), 'utf8')).slice(1).map((l) => l.split(',').slice(0, 6).join(','))).toEqual([
      '2,bob@b.test,MUG,1,granted,',
      '3,cat@b.test,MUG,1,refused,INSUFFICIENT_POINTS',
      '4,ann@b.test,MUG,1,skipped,',
      '5,bob@b.test,TOTE,1,skipped,',
    ]);
    const status = JSON.parse((await world.cli('batch', 'status', batchId, '--json')).stdout);
    expect(status).toMatchObject({ status: 'stopped', rows: 4, granted: 1, refused: 1, pending: 2 });
  });
});
