import { describe, expect, it, beforeAll } from 'vitest';
import { memberKeyKind, resolveMember, resolveMemberAndReward, resolveReward } from '../../src/lookup/keys.js';
import { KeyResolver } from '../../src/batch/resolveKeys.js';
import type { GrantRow, MemberColumn, RewardColumn } from '../../src/batch/types.js';
import { Refusal } from '../../src/shared/refusal.js';
import { Scenario, uniqueName, useTestDatabase, workedExample } from '../support/scenario.js';

// The one resolver of member and reward keys (src/lookup/keys.ts) and its not-found policy, on a
// server database with two merchants: what each key names, and the refusal when it names nothing,
// in the words every command and the batch use (docs/cli.md, "Members and rewards by key").

const db = useTestDatabase('postgres');
let s: Scenario;
let other: Scenario;

beforeAll(async () => {
  s = await Scenario.create(
    db().database.db,
    workedExample({
      users: [{ email: 'Ann@Keys.test', tel: '+15550100001', points: 100 }],
      rewards: [
        { reward_code: 'COFFEE-MUG', name: 'Mug', fallback_points: 10 },
        { reward_code: 'COFFEE-VOUCHER', name: 'Voucher', fallback_points: 10 },
      ],
    }),
  );
  other = await Scenario.create(
    db().database.db,
    { ...workedExample(), merchant: { name: uniqueName('Other') }, users: [{ email: 'ann@keys.test', points: 1 }], rewards: [{ reward_code: 'COFFEE-MUG', name: 'Mug', fallback_points: 1 }] },
  );
});

const json = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('members by key', () => {
  it('reads a uuid, an email (without case) and a tel, within the merchant', async () => {
    const ann = s.user('Ann@Keys.test');
    expect(await resolveMember(s.db, s.merchantId, ann)).toBe(ann);
    expect(await resolveMember(s.db, s.merchantId, 'ann@KEYS.test')).toBe(ann);
    expect(await resolveMember(s.db, s.merchantId, '+15550100001')).toBe(ann);
    expect([memberKeyKind(ann), memberKeyKind('a@b'), memberKeyKind('+1555')]).toEqual(['uuid', 'email', 'tel']);
  });

  it("refuses a key that names nothing, another merchant's uuid alike: USER_NOT_FOUND", async () => {
    const unknown = await resolveMember(s.db, s.merchantId, 'nobody@keys.test');
    expect(unknown).toBeInstanceOf(Refusal);
    expect(json(unknown)).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: 'No member with email nobody@keys.test' });
    expect((unknown as Refusal).line()).toBe('REFUSED USER_NOT_FOUND: No member with email nobody@keys.test');
    const foreign = other.user('ann@keys.test');
    expect(json(await resolveMember(s.db, s.merchantId, foreign))).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: `No member with uuid ${foreign}` });
  });
});

describe('rewards by key', () => {
  it('reads a uuid or a reward_code, within the merchant', async () => {
    expect(await resolveReward(s.db, s.merchantId, 'COFFEE-MUG')).toBe(s.reward('COFFEE-MUG'));
    expect(await resolveReward(s.db, s.merchantId, s.reward('COFFEE-VOUCHER'))).toBe(s.reward('COFFEE-VOUCHER'));
  });

  it("refuses a misspelt code with the merchant's nearest codes, another merchant's uuid with none", async () => {
    expect(json(await resolveReward(s.db, s.merchantId, 'COFE-MUG'))).toEqual({
      success: false,
      error_code: 'REWARD_NOT_FOUND',
      message: 'No reward with reward_code COFE-MUG. Did you mean COFFEE-MUG?',
      suggestions: ['COFFEE-MUG'],
    });
    const foreign = other.reward('COFFEE-MUG');
    expect(json(await resolveReward(s.db, s.merchantId, foreign))).toEqual({
      success: false,
      error_code: 'REWARD_NOT_FOUND',
      message: `No reward with uuid ${foreign}`,
      suggestions: [],
    });
  });

  it('a member and a reward: the member is named first when both name nothing', async () => {
    expect(await resolveMemberAndReward(s.db, s.merchantId, '+15550100001', 'COFFEE-MUG')).toEqual({
      userId: s.user('Ann@Keys.test'),
      rewardId: s.reward('COFFEE-MUG'),
    });
    expect(json(await resolveMemberAndReward(s.db, s.merchantId, 'nobody@keys.test', 'NOPE'))).toMatchObject({ error_code: 'USER_NOT_FOUND' });
  });
});

function row(member: string, memberColumn: MemberColumn, reward: string, rewardColumn: RewardColumn): GrantRow {
  return { line: 2, seq: 0, member, memberColumn, reward, rewardColumn, quantityText: '', quantity: 1, mode: 'calc', note: null, problem: null };
}

describe("the batch's bulk resolver", () => {
  it('refuses the keys of a CSV in the same words and codes as the one resolver', async () => {
    const foreign = other.user('ann@keys.test');
    const rows = [
      row('nobody@keys.test', 'email', 'COFFEE-MUG', 'reward_code'),
      row(foreign, 'user_id', 'COFFEE-MUG', 'reward_code'),
      row('+15550100001', 'tel', 'COFE-MUG', 'reward_code'),
      row('+15550100001', 'tel', other.reward('COFFEE-MUG'), 'reward_id'),
    ];
    const resolver = new KeyResolver(s.db, s.merchantId);
    for (const r of rows) resolver.add(r);
    await resolver.resolve();
    expect(resolver.memberId(rows[2]!)).toBe(s.user('Ann@Keys.test'));
    const [email, uuid, code, rewardUuid] = rows.map((r) => (resolver.memberId(r) ? resolver.refusal(r, 'reward') : resolver.refusal(r, 'member')));
    expect(json(email)).toEqual(json(await resolveMember(s.db, s.merchantId, 'nobody@keys.test')));
    expect(json(uuid)).toEqual(json(await resolveMember(s.db, s.merchantId, foreign)));
    expect(json(code)).toEqual(json(await resolveReward(s.db, s.merchantId, 'COFE-MUG')));
    expect(json(rewardUuid)).toEqual(json(await resolveReward(s.db, s.merchantId, other.reward('COFFEE-MUG'))));
  });
});
