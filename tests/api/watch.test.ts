import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { runInProcess } from '../support/cliHarness.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// `redeemctl watch` in process: live ledger writes from LISTEN/NOTIFY, one JSON object per line
// with --json, one human line otherwise; --limit ends it.

let handle: TestDatabase;
let s: Scenario;
let env: Record<string, string>;

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 4 });
  s = await Scenario.create(handle.database.db, {
    merchant: { name: uniqueName('Watch') },
    users: [
      { email: 'alice@w.test', points: 10_000 },
      { email: 'bob@w.test', tel: '+4479000001', points: 10_000 },
    ],
    rewards: [{ reward_code: 'MUG', name: 'Mug', fallback_points: 100, default_promo_code: 'MUG-AT-DESK' }],
  });
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1' };
});
afterAll(async () => {
  await handle?.drop();
});

async function listening(): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ledger_listeners where expires_at > now()`.execute(handle.database.db);
      expect(rows[0]!.n).toBe(1);
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe('redeemctl watch', () => {
  it("--user EMAIL --limit 2 --json prints that member's next two writes as JSON lines, then exits 0", async () => {
    const before = await s.redeem('alice@w.test', 'MUG');
    const watching = runInProcess(['watch', '--user', 'alice@w.test', '--limit', '2', '--json'], { env });
    await listening();
    const bobs = await s.redeem('bob@w.test', 'MUG');
    const first = await s.redeem('alice@w.test', 'MUG', 2);
    const second = await s.redeem('alice@w.test', 'MUG', 3);
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((row) => row.event_id)).toEqual([first.event_id, second.event_id]);
    expect(lines.map((row) => row.event_id)).not.toContain(before.event_id);
    expect(lines.map((row) => row.event_id)).not.toContain(bobs.event_id);
    expect(lines[0]).toMatchObject({
      user_id: s.user('alice@w.test'),
      merchant_id: s.merchantId,
      qty: 2,
      points_deducted: 200,
      promo_code: 'MUG-AT-DESK',
      success: true,
      code: first.redemptions[0]!.redemption_code,
    });
    expect(result.stderr).toMatch(/Watching ledger writes of alice@w.test/);
    // the registration left with it
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ledger_listeners`.execute(handle.database.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('without --user shows the whole merchant, one human line per write (member by tel here)', async () => {
    const watching = runInProcess(['watch', '--limit', '1'], { env });
    await listening();
    const bobs = await s.redeem('+4479000001', 'MUG', 12);
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    const line = result.stdout.trim();
    expect(line).toContain(`OK ${bobs.redemptions[0]!.redemption_code}`);
    expect(line).toContain(`user=${s.user('bob@w.test')}`);
    expect(line).toContain(`event=${bobs.event_id}`);
    // key=value tails stay raw (no thousands separator: docs/api.md); the time is ISO-8601 UTC to the second.
    expect(line).toContain('qty=12 points=1200 promo=MUG-AT-DESK');
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z OK /);
  });

  it('refuses an unknown member, a bad --limit and the embedded database with exit 2', async () => {
    const unknown = await runInProcess(['watch', '--user', 'nobody@w.test'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No member with email nobody@w.test/);
    const limit = await runInProcess(['watch', '--limit', '0'], { env });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--limit/);
    const embedded = await runInProcess(['watch'], { env: { NO_COLOR: '1' } });
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toMatch(/PostgreSQL server \(DATABASE_URL/);
  });
});
