import { readFile } from 'node:fs/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { fixtureSchema, type Fixture, type FixtureInput, type RewardFixture } from './fixtureSchema.js';

/** Namespace of the ids a fixture derives from its keys (any fixed uuid). */
const NAMESPACE = '5b0c8d0e-6a4f-4d7e-9c1b-2f3a4b5c6d7e';

export function fixtureId(...parts: string[]): string {
  return uuidv5(parts.join('|'), NAMESPACE);
}

export interface SeedSummary {
  merchantId: string;
  merchant: string;
  users: number;
  rewards: number;
  codes: number;
  /** reward_code → id, email/tel → id: what tests and the demo look things up by. */
  rewardIds: Record<string, string>;
  userIds: Record<string, string>;
}

export async function readFixtureFile(path: string): Promise<Fixture> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read fixture file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Fixture file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseFixture(json, path);
}

export function parseFixture(json: unknown, source = 'fixture'): Fixture {
  const parsed = fixtureSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Loads a fixture in one transaction; loading the same fixture twice changes nothing. */
export async function seed(db: Kysely<Schema>, input: Fixture | FixtureInput): Promise<SeedSummary> {
  const fixture = parseFixture(input);
  return db.transaction().execute((trx) => seedIn(trx, fixture));
}

async function seedIn(trx: Transaction<Schema>, fixture: Fixture): Promise<SeedSummary> {
  const merchantId = fixtureId('merchant', fixture.merchant.name);
  const id = (...parts: string[]) => fixtureId(merchantId, ...parts);
  await trx
    .insertInto('merchants')
    .values({ id: merchantId, name: fixture.merchant.name, time_zone: fixture.merchant.time_zone })
    .onConflict((oc) => oc.doNothing())
    .execute();

  const refs = { tier: new Map<string, string>(), persona: new Map<string, string>(), tag: new Map<string, string>() };
  for (const [rank, name] of fixture.tiers.entries()) {
    refs.tier.set(name, id('tier', name));
    await trx.insertInto('tiers').values({ id: id('tier', name), merchant_id: merchantId, name, rank }).onConflict((oc) => oc.doNothing()).execute();
  }
  for (const name of fixture.personas) {
    refs.persona.set(name, id('persona', name));
    await trx.insertInto('personas').values({ id: id('persona', name), merchant_id: merchantId, name }).onConflict((oc) => oc.doNothing()).execute();
  }
  for (const name of fixture.tags) {
    refs.tag.set(name, id('tag', name));
    await trx.insertInto('tags').values({ id: id('tag', name), merchant_id: merchantId, name }).onConflict((oc) => oc.doNothing()).execute();
  }
  const ref = (kind: keyof typeof refs, name: string, where: string): string => {
    const found = refs[kind].get(name);
    if (!found) throw new UsageError(`${where}: unknown ${kind} ${JSON.stringify(name)} (declare it in "${kind === 'tier' ? 'tiers' : kind + 's'}")`);
    return found;
  };

  const userIds: Record<string, string> = {};
  for (const [index, user] of fixture.users.entries()) {
    const key = (user.email ?? user.tel)!;
    const where = `users.${index} (${key})`;
    const userId = id('user', key.toLowerCase());
    await trx
      .insertInto('user_accounts')
      .values({
        id: userId,
        merchant_id: merchantId,
        email: user.email ?? null,
        tel: user.tel ?? null,
        tier_id: user.tier ? ref('tier', user.tier, where) : null,
        persona_id: user.persona ? ref('persona', user.persona, where) : null,
        user_type: user.user_type,
        birth_date: user.birth_date ?? null,
        active: user.active,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    for (const tag of user.tags) {
      await trx.insertInto('user_tags').values({ user_id: userId, tag_id: ref('tag', tag, where) }).onConflict((oc) => oc.doNothing()).execute();
    }
    await trx.insertInto('user_wallet').values({ user_id: userId, merchant_id: merchantId, points_balance: 0 }).onConflict((oc) => oc.doNothing()).execute();
    if (user.points > 0) {
      await sql`select rd_earn_points(${merchantId}::uuid, ${userId}::uuid, ${user.points}::bigint, 'seed', ${userId}, 'fixture balance')`.execute(trx);
    }
    if (user.email) userIds[user.email] = userId;
    if (user.tel) userIds[user.tel] = userId;
  }

  const rewardIds: Record<string, string> = {};
  let codes = 0;
  for (const reward of fixture.rewards) {
    const rewardId = id('reward', reward.reward_code);
    rewardIds[reward.reward_code] = rewardId;
    await insertReward(trx, merchantId, rewardId, reward, ref);
    codes += await insertCodes(trx, merchantId, rewardId, reward);
  }
  return {
    merchantId,
    merchant: fixture.merchant.name,
    users: fixture.users.length,
    rewards: fixture.rewards.length,
    codes,
    rewardIds,
    userIds,
  };
}

type RefLookup = (kind: 'tier' | 'persona' | 'tag', name: string, where: string) => string;

async function insertReward(trx: Transaction<Schema>, merchantId: string, rewardId: string, reward: RewardFixture, ref: RefLookup) {
  const where = `rewards (${reward.reward_code})`;
  const refs = (kind: 'tier' | 'persona' | 'tag', names?: string[]) => (names ? names.map((n) => ref(kind, n, where)) : null);
  const inserted = await trx
    .insertInto('reward_master')
    .values({
      id: rewardId,
      merchant_id: merchantId,
      reward_code: reward.reward_code,
      name: reward.name,
      active: reward.active,
      allowed_tiers: refs('tier', reward.allowed_tiers),
      allowed_personas: refs('persona', reward.allowed_personas),
      allowed_tags: refs('tag', reward.allowed_tags),
      allowed_birth_months: reward.allowed_birth_months ?? null,
      redeem_window_start: reward.redeem_window_start ?? null,
      redeem_window_end: reward.redeem_window_end ?? null,
      fallback_points: reward.fallback_points ?? null,
      require_points_match: reward.require_points_match,
      stock_total: reward.stock_total ?? null,
      assign_promocode: reward.assign_promocode,
      default_promo_code: reward.default_promo_code ?? null,
      use_expire_mode: reward.use_expire_mode ?? null,
      use_expire_ttl: reward.use_expire_ttl ?? null,
      use_expire_date: reward.use_expire_date ?? null,
      fulfilment: reward.fulfilment,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return; // seeded before: leave its conditions and limits as they are

  for (const [index, condition] of reward.pricing.entries()) {
    await trx
      .insertInto('reward_points_conditions')
      .values({
        id: fixtureId(rewardId, 'condition', String(index)),
        merchant_id: merchantId,
        reward_id: rewardId,
        tier_id: condition.tier ? ref('tier', condition.tier, where) : null,
        user_type: condition.user_type ?? null,
        persona_id: condition.persona ? ref('persona', condition.persona, where) : null,
        tag_ids: condition.tags ? condition.tags.map((t) => ref('tag', t, where)) : null,
        points_required: condition.points,
        priority: condition.priority,
      })
      .execute();
  }
  for (const [index, limit] of reward.limits.entries()) {
    await trx
      .insertInto('transaction_limits')
      .values({
        id: fixtureId(rewardId, 'limit', String(index)),
        merchant_id: merchantId,
        reward_id: rewardId,
        scope: limit.scope,
        max_count: limit.max,
        time_unit: limit.unit,
      })
      .execute();
  }
}

async function insertCodes(trx: Transaction<Schema>, merchantId: string, rewardId: string, reward: RewardFixture): Promise<number> {
  if (!reward.codes) return 0;
  const { codes } = reward;
  const list = Array.isArray(codes)
    ? codes
    : Array.from({ length: codes.generate }, (_, i) => `${codes.prefix ?? reward.reward_code + '-'}${String(i + 1).padStart(6, '0')}`);
  let inserted = 0;
  for (let start = 0; start < list.length; start += 10_000) {
    const chunk = list.slice(start, start + 10_000);
    const result = await sql`
      insert into reward_promo_code (merchant_id, reward_id, promo_code, lot)
      select ${merchantId}::uuid, ${rewardId}::uuid, code, 'seed'
      from unnest(${chunk}::text[]) with ordinality as c(code, n)
      order by n
      on conflict (merchant_id, promo_code) do nothing`.execute(trx);
    inserted += Number(result.numAffectedRows ?? 0);
  }
  return inserted;
}
