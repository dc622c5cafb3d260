import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Refusal } from '../shared/refusal.js';
import { memberNotFound, resolveMember } from './keys.js';
import { isoTime } from './time.js';

// Members of one merchant, for support: a search by fragment and one member's profile.
// Decisions (what is searched, the order, tenancy): docs/lookup.md.

export interface MemberSummary {
  id: string;
  email: string | null;
  tel: string | null;
  user_type: string;
  tier: string | null;
  persona: string | null;
  active: boolean;
  balance: number;
}

export interface MemberProfile extends MemberSummary {
  tags: string[];
  /** `YYYY-MM-DD`: a calendar date, not an instant. */
  birth_date: string | null;
  created_at: string;
}

/** `%`, `_` and `\` match themselves in the fragment. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** A fragment that looks like part of a phone number matches tels by their digits alone. */
function telDigits(fragment: string): string {
  return /^[\d\s+().-]+$/.test(fragment) ? fragment.replace(/\D/g, '') : '';
}

const summaryColumns = sql`u.id, u.email, u.tel, u.user_type, u.active, t.name as tier, p.name as persona,
  coalesce(w.points_balance, 0)::float8 as balance`;

/**
 * Members whose email or tel contains `fragment` (case-insensitive), at most `limit`: exact
 * matches first, then prefixes, then the rest, each by email then tel. `truncated` says more exist.
 */
export async function findMembers(
  db: Kysely<Schema>,
  merchantId: string,
  fragment: string,
  limit: number,
): Promise<{ members: MemberSummary[]; truncated: boolean }> {
  const text = fragment.trim();
  const contains = `%${likeEscape(text)}%`;
  const prefix = `${likeEscape(text)}%`;
  const digits = telDigits(text);
  const { rows } = await sql<MemberSummary>`
    select ${summaryColumns}
    from user_accounts u
    left join tiers t on t.id = u.tier_id
    left join personas p on p.id = u.persona_id
    left join user_wallet w on w.user_id = u.id
    where u.merchant_id = ${merchantId}::uuid
      and (u.email ilike ${contains}::text escape '\\' or u.tel ilike ${contains}::text escape '\\'
           or (${digits}::text <> '' and regexp_replace(u.tel, '\\D', '', 'g') like '%' || ${digits}::text || '%'))
    order by case when lower(u.email) = lower(${text}::text) or u.tel = ${text}::text then 0
                  when u.email ilike ${prefix}::text escape '\\' or u.tel ilike ${prefix}::text escape '\\' then 1
                  else 2 end,
             lower(u.email) nulls last, u.tel nulls last, u.id
    limit ${limit + 1}`.execute(db);
  return { members: rows.slice(0, limit).map(normalise), truncated: rows.length > limit };
}

/**
 * One member by uuid, email or tel, in this merchant only (src/lookup/keys.ts), or the refusal
 * USER_NOT_FOUND (a uuid of another merchant included).
 */
export async function findMember(db: Kysely<Schema>, merchantId: string, key: string): Promise<MemberProfile | Refusal> {
  const id = await resolveMember(db, merchantId, key);
  if (typeof id !== 'string') return id;
  const { rows } = await sql<MemberProfile>`
    select ${summaryColumns},
           array(select g.name from user_tags ut join tags g on g.id = ut.tag_id where ut.user_id = u.id order by g.name) as tags,
           to_char(u.birth_date, 'YYYY-MM-DD') as birth_date, u.created_at
    from user_accounts u
    left join tiers t on t.id = u.tier_id
    left join personas p on p.id = u.persona_id
    left join user_wallet w on w.user_id = u.id
    where u.merchant_id = ${merchantId}::uuid and u.id = ${id}::uuid`.execute(db);
  const row = rows[0];
  // Deleted between the two reads: as if it never was.
  if (!row) return memberNotFound(key);
  return { ...normalise(row), tags: row.tags ?? [], birth_date: row.birth_date, created_at: isoTime(row.created_at)! };
}

function normalise(row: MemberSummary): MemberSummary {
  return {
    id: row.id,
    email: row.email,
    tel: row.tel,
    user_type: row.user_type,
    tier: row.tier,
    persona: row.persona,
    active: row.active,
    balance: Number(row.balance),
  };
}
