import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { redeem } from '../../src/engine/redeem.js';
import type { RedeemRequest, RedeemResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { seed, type SeedSummary } from '../../src/demo/seed.js';
import { createTestDatabase, type BackendName, type TestDatabase } from './databases.js';
import { findViolations } from './invariants.js';

/** A merchant name no other test uses: tenancy keeps tests in one database apart. */
export function uniqueName(prefix = 'Test Merchant'): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`;
}

/** The pricing worked example of docs/domain.md, on one pool reward (WORKED). */
export function workedExample(extra: Partial<FixtureInput> = {}): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    tiers: ['Bronze', 'Silver', 'Gold', 'Platinum'],
    personas: ['Student'],
    tags: ['VIP', 'Other'],
    users: [
      { email: 'gold.student.vip@t.test', tier: 'Gold', persona: 'Student', tags: ['VIP'], points: 10_000 },
      { email: 'student.vip@t.test', persona: 'Student', tags: ['VIP'], points: 10_000 },
      { email: 'vip@t.test', tags: ['VIP'], points: 10_000 },
      { email: 'plain@t.test', points: 10_000 },
      { email: 'bronze@t.test', tier: 'Bronze', points: 10_000 },
      { email: 'silver@t.test', tier: 'Silver', points: 10_000 },
      { email: 'platinum@t.test', tier: 'Platinum', points: 10_000 },
    ],
    rewards: [
      {
        reward_code: 'WORKED',
        name: 'Worked example',
        pricing: [
          { tier: 'Bronze', points: 100 },
          { tier: 'Silver', points: 80 },
          { tier: 'Gold', points: 60 },
          { tier: 'Platinum', points: 40 },
          { persona: 'Student', points: 50, priority: 150 },
          { tags: ['VIP'], points: 30, priority: 200 },
        ],
        fallback_points: 120,
      },
    ],
    ...extra,
  };
}

/** One merchant's world, with helpers that speak in emails and reward codes. */
export class Scenario {
  constructor(
    readonly db: Kysely<Schema>,
    readonly summary: SeedSummary,
  ) {}

  static async create(db: Kysely<Schema>, fixture: FixtureInput): Promise<Scenario> {
    return new Scenario(db, await seed(db, fixture));
  }

  get merchantId(): string {
    return this.summary.merchantId;
  }
  user(key: string): string {
    const id = this.summary.userIds[key];
    if (!id) throw new Error(`no member ${key} in this scenario`);
    return id;
  }
  reward(code: string): string {
    const id = this.summary.rewardIds[code];
    if (!id) throw new Error(`no reward ${code} in this scenario`);
    return id;
  }

  redeem(user: string, reward: string, quantity = 1, extra: Partial<RedeemRequest> = {}): Promise<RedeemResult> {
    return redeem(this.db, {
      merchantId: this.merchantId,
      userId: this.user(user),
      rewardId: this.reward(reward),
      quantity,
      ...extra,
    });
  }

  async balance(user: string): Promise<number> {
    const row = await this.db.selectFrom('user_wallet').select('points_balance').where('user_id', '=', this.user(user)).executeTakeFirst();
    return row?.points_balance ?? 0;
  }

  ledgerRows(eventId: string) {
    return this.db.selectFrom('reward_redemptions_ledger').selectAll().where('event_id', '=', eventId).orderBy('promo_code_id').execute();
  }

  async codeStatuses(reward: string): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('reward_promo_code')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('reward_id', '=', this.reward(reward))
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}

/**
 * Opens one database for the file (per backend), checks the invariants after every test, and
 * drops it at the end. Returns a getter, since the database exists only once beforeAll ran.
 */
export function useTestDatabase(backend: BackendName, options?: { poolSize?: number }): () => TestDatabase {
  let handle: TestDatabase | undefined;
  beforeAll(async () => {
    handle = await createTestDatabase(backend, options);
  });
  afterEach(async () => {
    if (handle) expect(await findViolations(handle.database.db)).toEqual([]);
  });
  afterAll(async () => {
    await handle?.drop();
  });
  return () => {
    if (!handle) throw new Error('the test database is not open yet');
    return handle;
  };
}
