import { describe, expect, it } from 'vitest';
import { poolHealth } from '../../src/monitoring/poolHealth.js';
import { BACKENDS } from '../support/databases.js';
import { useTestDatabase, type Scenario } from '../support/scenario.js';
import { buildPoolDataset, EXPECTED, NOW } from './poolDataset.js';

// Pool health against a dataset with known numbers (poolDataset.ts), on both backends.

describe.each(BACKENDS)('pool health on %s', (backend) => {
  const handle = useTestDatabase(backend);
  let s: Scenario;
  let other: Scenario;
  const report = (threshold?: number, scenario = s) =>
    poolHealth(handle().database.db, { merchantId: scenario.merchantId, now: NOW, ...(threshold !== undefined && { threshold }) });

  it('builds the dataset (and a second merchant whose pools must not show)', async () => {
    s = await buildPoolDataset(handle().database.db);
    other = await buildPoolDataset(handle().database.db);
  });

  it('reports every figure exactly, soonest empty first', async () => {
    const r = await report();
    expect(r.generated_at).toBe(NOW.toISOString());
    expect(r.threshold).toBe(50);
    expect(r.pools.map((p) => p.reward_code)).toEqual(EXPECTED.map((e) => e.reward_code));
    for (const [i, expected] of EXPECTED.entries()) {
      expect(r.pools[i], expected.reward_code).toMatchObject({ ...expected, reward_id: s.reward(expected.reward_code) });
    }
  });

  it('totals partition the pool: available + expired + redeemed + voided', async () => {
    for (const p of (await report()).pools) expect(p.available + p.expired + p.redeemed + p.voided, p.reward_code).toBe(p.total);
  });

  it('forecasts when each pool runs dry at its rate', async () => {
    const byCode = Object.fromEntries((await report()).pools.map((p) => [p.reward_code, p]));
    expect(byCode.HOT!.empty_at).toBe('2025-06-01T17:00:00.000Z');
    expect(byCode.LOWPOOL!.empty_at).toBe('2025-06-01T13:00:00.000Z');
    expect(byCode.STEADY!.empty_at).toBe('2025-06-04T15:30:00.000Z');
    expect(byCode.DRY!.empty_at).toBe(NOW.toISOString());
    expect(byCode.IDLE!.empty_at).toBeNull();
  });

  it('lists the LOW and EMPTY pools as alerts, in the same order', async () => {
    expect((await report()).alerts).toEqual([
      { reward_code: 'DRY', status: 'EMPTY', available: 0, hours_to_empty: 0 },
      { reward_code: 'NOCODES', status: 'EMPTY', available: 0, hours_to_empty: 0 },
      { reward_code: 'LOWPOOL', status: 'LOW', available: 10, hours_to_empty: 1 },
    ]);
  });

  it('the threshold decides LOW: available below it, never at it', async () => {
    const status = async (threshold: number) => Object.fromEntries((await report(threshold)).pools.map((p) => [p.reward_code, p.status]));
    expect(await status(60)).toMatchObject({ HOT: 'OK', LOWPOOL: 'LOW', STEADY: 'OK', IDLE: 'OK' });
    expect(await status(61)).toMatchObject({ HOT: 'LOW', STEADY: 'OK', IDLE: 'OK' });
    expect(await status(10)).toMatchObject({ LOWPOOL: 'OK', DRY: 'EMPTY' });
    expect(await status(0)).toMatchObject({ LOWPOOL: 'OK', DRY: 'EMPTY', NOCODES: 'EMPTY' });
  });

  it('reads counts folded from the deltas: a redemption after a report shows in the next one', async () => {
    const db = handle().database.db;
    const result = await other.redeem('b@t.test', 'IDLE', 3, { eventId: 'idle-now' });
    expect(result.success).toBe(true);
    const idle = (await report(undefined, other)).pools.find((p) => p.reward_code === 'IDLE')!;
    // Written at the real time, after NOW: counted in the pool, not in NOW's windows.
    expect(idle).toMatchObject({ available: 77, redeemed: 3, redeemed_last_hour: 0, hours_to_empty: null });
    // At the real time the three units are the last hour's: 3 per hour, 77 / 3 hours left.
    const live = (await poolHealth(db, { merchantId: other.merchantId })).pools.find((p) => p.reward_code === 'IDLE')!;
    expect(live).toMatchObject({ redeemed_last_hour: 3, redeemed_last_day: 3, depletion_per_hour: 3, hours_to_empty: 77 / 3 });
    // The first merchant is untouched by the second's activity.
    expect((await report()).pools.find((p) => p.reward_code === 'IDLE')).toMatchObject({ available: 80, redeemed: 0 });
  });

  it('a merchant without pool rewards gets an empty report', async () => {
    const { randomUUID } = await import('node:crypto');
    expect(await poolHealth(handle().database.db, { merchantId: randomUUID(), now: NOW })).toMatchObject({ pools: [], alerts: [] });
  });
});
