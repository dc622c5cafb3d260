import { packageFile } from '../shared/packageFiles.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { redeem } from '../engine/redeem.js';
import { quote } from '../engine/quote.js';
import { cancel } from '../engine/cancelAndUse.js';
import type { RedeemRequest } from '../engine/types.js';
import { readFixtureFile, seed, type SeedSummary } from './seed.js';
import { importCodes } from '../codes/importPool.js';
import { resolvePoolReward } from '../codes/poolReward.js';
import { runBatch } from '../batch/runBatch.js';
import { poolHealth } from '../monitoring/poolHealth.js';
import { redemptionMetrics } from '../monitoring/redemptionMetrics.js';

// The demo's story, as data: each step returns what it did, and src/cli/commands/render/demo.ts prints it.
// Event ids and the batch id are fixed (the batch id comes from the file), so running the demo
// again returns the stored results and changes nothing.

const fixture = (path: string) => packageFile(`fixtures/${path}`);

export interface StoryContext {
  database: Database;
  actor: string;
}

export async function setUp(ctx: StoryContext): Promise<{ applied: string[]; seeded: SeedSummary }> {
  const applied = await migrate(ctx.database);
  const seeded = await seed(ctx.database.db, await readFixtureFile(fixture('demo.json')));
  return { applied, seeded };
}

export async function importPool(ctx: StoryContext, seeded: SeedSummary) {
  const reward = await resolvePoolReward(ctx.database.db, seeded.merchantId, 'COFFEE-VOUCHER');
  return importCodes(ctx.database, {
    file: fixture('codes/demo-pool.csv'),
    merchantId: seeded.merchantId,
    reward,
    lot: null,
    dryRun: false,
    skipInvalid: false,
    actor: ctx.actor,
  });
}

/** The pricing worked example of docs/domain.md, for four of the demo members. */
export async function pricing(ctx: StoryContext, seeded: SeedSummary): Promise<Array<[string, number | null | undefined]>> {
  const rows: Array<[string, number | null | undefined]> = [];
  for (const email of ['gold.student.vip@example.com', 'student.vip@example.com', 'vip@example.com', 'newbie@example.com']) {
    const q = await quote(ctx.database.db, { merchantId: seeded.merchantId, userId: seeded.userIds[email]!, rewardId: seeded.rewardIds['COFFEE-VOUCHER']! });
    rows.push([email, q.points_per_unit]);
  }
  return rows;
}

export interface RedemptionStep {
  title: string;
  request: RedeemRequest;
}

export function redemptionSteps(seeded: SeedSummary, actor: string): RedemptionStep[] {
  const merchantId = seeded.merchantId;
  const step = (title: string, eventId: string, email: string, reward: string, quantity: number, extra: Partial<RedeemRequest> = {}): RedemptionStep => ({
    title,
    request: { merchantId, userId: seeded.userIds[email]!, rewardId: seeded.rewardIds[reward]!, quantity, eventId, sourceType: 'cli', actor, ...extra },
  });
  return [
    step('Pattern A: 3 mugs, no pool: one ledger row of qty 3 with the shared promo code', 'demo-pattern-a', 'bronze@example.com', 'COFFEE-MUG', 3),
    step('Pattern B: 3 vouchers from the pool: three rows of qty 1, each with its own code', 'demo-pattern-b', 'gold.student.vip@example.com', 'COFFEE-VOUCHER', 3),
    step('Pattern C: 100 vouchers from a pool holding fewer: refused, one failure row', 'demo-pattern-c', 'platinum@example.com', 'COFFEE-VOUCHER', 100),
    step('Refused: a Bronze member asks for the Gold lounge', 'demo-not-eligible', 'bronze@example.com', 'GOLD-LOUNGE', 1),
    step('Refused: not enough points', 'demo-insufficient-points', 'newbie@example.com', 'COFFEE-MUG', 1),
    step('Goodwill grant (direct mode): free, audited', 'demo-goodwill', 'newbie@example.com', 'COFFEE-MUG', 1, {
      mode: 'direct',
      reason: 'demo: apology for a late order',
    }),
  ];
}

export function runRedemption(ctx: StoryContext, step: RedemptionStep) {
  return redeem(ctx.database.db, step.request);
}

export function batchGrant(ctx: StoryContext, seeded: SeedSummary) {
  return runBatch(ctx.database.db, {
    file: fixture('grants/demo-grants.csv'),
    merchantId: seeded.merchantId,
    actor: ctx.actor,
    reason: 'demo: spring campaign',
    mode: 'calc',
    concurrency: 2,
    dryRun: false,
    allOrNothing: false,
  });
}

export function cancelPatternB(ctx: StoryContext, seeded: SeedSummary) {
  return cancel(ctx.database.db, { merchantId: seeded.merchantId, by: 'event', value: 'demo-pattern-b', actor: ctx.actor, reason: 'demo: member changed their mind' });
}

export async function monitoring(ctx: StoryContext, seeded: SeedSummary) {
  const health = await poolHealth(ctx.database.db, { merchantId: seeded.merchantId });
  const metrics = await redemptionMetrics(ctx.database.db, { merchantId: seeded.merchantId, since: new Date(Date.now() - 24 * 3_600_000) });
  return { health, metrics };
}

export function balances(ctx: StoryContext, seeded: SeedSummary) {
  return ctx.database.db
    .selectFrom('user_accounts as u')
    .innerJoin('user_wallet as w', 'w.user_id', 'u.id')
    .select(['u.email', 'w.points_balance'])
    .where('u.merchant_id', '=', seeded.merchantId)
    .orderBy('u.email')
    .execute();
}
