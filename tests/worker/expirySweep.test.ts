import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/shared/logger.js';
import { startExpirySweep } from '../../src/worker/expirySweep.js';
import { WorkerLog } from '../../src/worker/workerLog.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// The worker's expiry sweep (src/worker/expirySweep.ts; docs/engine.md, "The claim floor and the
// expiry sweep"): on a timer it retires the available codes past their expires_at, in batches,
// logs what it retired, and stops cleanly. No broker needed: the timer is started on its own.

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (prefix: string) => (message: string) => void lines.push(prefix + message);
  return { logger: { info: push(''), warn: push('warning: '), error: push('error: ') }, lines };
}

describe('the expiry sweep of the worker', () => {
  const test = useTestDatabase('postgres');

  it('retires expired codes on its timer, logs how many, leaves the others, and stops', async () => {
    const { db } = test().database;
    const s = await Scenario.create(db, {
      merchant: { name: uniqueName() },
      rewards: [{ reward_code: 'POOL', name: 'Pool', assign_promocode: true, fallback_points: 1 }],
    });
    await sql`insert into reward_promo_code (merchant_id, reward_id, promo_code, expires_at)
              select ${s.merchantId}::uuid, ${s.reward('POOL')}::uuid, 'S-' || g,
                     case when g <= 12 then now() - interval '1 hour' else now() + interval '1 day' end
              from generate_series(1, 20) g`.execute(db);
    const { logger, lines } = capture();
    const sweep = startExpirySweep(db, new WorkerLog(logger), 50);
    try {
      await vi.waitFor(() => expect(lines.some((l) => l.includes('retired 12 expired codes'))).toBe(true), { timeout: 10_000 });
    } finally {
      await sweep.stop();
    }
    const { rows } = await sql<{ retired: boolean; status: string; n: number }>`
      select retired_at is not null as retired, status, count(*)::int as n from reward_promo_code
      where reward_id = ${s.reward('POOL')}::uuid group by 1, 2 order by 1`.execute(db);
    expect(rows).toEqual([
      { retired: false, status: 'available', n: 8 },
      { retired: true, status: 'available', n: 12 },
    ]);
    expect(lines.filter((l) => l.startsWith('warning') || l.startsWith('error'))).toEqual([]);
    expect(lines[0]).toMatch(/^\[RewardConsumer\] Expiry sweep: retired 12 expired codes from the claim index in \d+ms$/);
  });
});
