import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Refusal } from '../shared/refusal.js';
import { memberNotFound } from '../lookup/keys.js';
import { rewardCodes, rewardNotFound } from '../lookup/rewardNotFound.js';
import { rankSuggestions } from '../lookup/suggest.js';
import type { GrantRow, MemberColumn, RewardColumn } from './types.js';

// Members and rewards by any key, looked up once per distinct key and in chunks (one query per
// 1,000 keys), always within the merchant: another merchant's member is "not found". The keys
// mean what they mean everywhere (src/lookup/keys.ts), and a key that names nothing is refused in
// the same words and codes (refusal()), a reward_code with the nearest codes of the merchant.

const CHUNK = 1000;

type Column = MemberColumn | RewardColumn;

/** Keys compare as the database does: emails case-insensitively, the rest exactly. */
function normalise(column: Column, key: string): string {
  return column === 'email' || column === 'user_id' || column === 'reward_id' ? key.toLowerCase() : key;
}

export class KeyResolver {
  private readonly wanted = new Map<Column, Set<string>>();
  private readonly found = new Map<string, string | null>();
  /** The nearest codes for each reward_code that names nothing, ranked once resolve() found it missing. */
  private readonly suggestions = new Map<string, string[]>();
  private codes: string[] | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly merchantId: string,
  ) {}

  /** Notes a row's keys; resolve() looks up everything noted and not yet known. */
  add(row: GrantRow): void {
    if (row.problem || !row.memberColumn || !row.rewardColumn) return;
    this.want(row.memberColumn, row.member);
    this.want(row.rewardColumn, row.reward);
  }

  async resolve(): Promise<void> {
    for (const [column, keys] of this.wanted) {
      const list = [...keys];
      for (let i = 0; i < list.length; i += CHUNK) {
        const chunk = list.slice(i, i + CHUNK);
        for (const key of chunk) this.found.set(`${column}:${key}`, null);
        for (const row of await this.lookup(column, chunk)) this.found.set(`${column}:${normalise(column, row.key)}`, row.id);
      }
      keys.clear();
    }
    await this.suggestForMissingCodes();
  }

  /** Why a row cannot be sent (call after resolve()): USER_NOT_FOUND or REWARD_NOT_FOUND, as a lookup says it. */
  refusal(row: GrantRow, missing: 'member' | 'reward'): Refusal {
    if (missing === 'member') return memberNotFound(row.member, row.memberColumn === 'user_id' ? 'uuid' : (row.memberColumn ?? undefined));
    if (row.rewardColumn !== 'reward_code') return rewardNotFound(row.reward, 'uuid');
    return rewardNotFound(row.reward, 'reward_code', this.suggestions.get(row.reward) ?? []);
  }

  memberId(row: GrantRow): string | null {
    return row.memberColumn ? (this.found.get(`${row.memberColumn}:${normalise(row.memberColumn, row.member)}`) ?? null) : null;
  }

  rewardId(row: GrantRow): string | null {
    return row.rewardColumn ? (this.found.get(`${row.rewardColumn}:${normalise(row.rewardColumn, row.reward)}`) ?? null) : null;
  }

  /** The merchant's codes are read once, and only when some reward_code names nothing. */
  private async suggestForMissingCodes(): Promise<void> {
    const prefix = 'reward_code:';
    const missing = [...this.found].filter(([key, id]) => id === null && key.startsWith(prefix)).map(([key]) => key.slice(prefix.length));
    const unranked = missing.filter((code) => !this.suggestions.has(code));
    if (unranked.length === 0) return;
    this.codes ??= await rewardCodes(this.db, this.merchantId);
    for (const code of unranked) this.suggestions.set(code, rankSuggestions(code, this.codes));
  }

  private want(column: Column, key: string): void {
    const normal = normalise(column, key);
    if (this.found.has(`${column}:${normal}`)) return;
    let keys = this.wanted.get(column);
    if (!keys) this.wanted.set(column, (keys = new Set()));
    keys.add(normal);
  }

  private async lookup(column: Column, keys: string[]): Promise<Array<{ key: string; id: string }>> {
    const m = this.merchantId;
    switch (column) {
      case 'user_id':
        return this.db.selectFrom('user_accounts').select(['id as key', 'id']).where('merchant_id', '=', m).where('id', 'in', keys).execute();
      case 'email':
        return this.db
          .selectFrom('user_accounts')
          .select((eb) => [eb.fn<string>('lower', ['email']).as('key'), 'id'])
          .where('merchant_id', '=', m)
          .where((eb) => eb(eb.fn('lower', ['email']), 'in', keys))
          .execute();
      case 'tel':
        return this.db
          .selectFrom('user_accounts')
          .select((eb) => [eb.fn.coalesce('tel', eb.val('')).as('key'), 'id'])
          .where('merchant_id', '=', m)
          .where('tel', 'in', keys)
          .execute();
      case 'reward_id':
        return this.db.selectFrom('reward_master').select(['id as key', 'id']).where('merchant_id', '=', m).where('id', 'in', keys).execute();
      case 'reward_code':
        return this.db.selectFrom('reward_master').select(['reward_code as key', 'id']).where('merchant_id', '=', m).where('reward_code', 'in', keys).execute();
    }
  }
}
