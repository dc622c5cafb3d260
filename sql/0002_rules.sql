-- The rule helpers that redeem_reward_with_points (0003) and quote_reward (0004) share:
-- the redemption code, eligibility, pricing, limit windows and limit usage.
-- Programming misuse raises SQLSTATE class RD (RD001 bad argument, RD002 actor/reason missing);
-- src/engine/errors.ts maps these codes and must change with them.

-- 'RWD' and 16 Crockford base32 characters: 80 random bits from gen_random_uuid(), skipping its
-- version and variant bits, so the code is neither a sequence nor guessable. Unique index backs it.
create function rd_redemption_code() returns text
language plpgsql volatile as $$
declare
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  b bytea := uuid_send(gen_random_uuid());
  hi bigint;
  lo bigint;
  result text := 'RWD';
begin
  hi := (get_byte(b, 0)::bigint << 32) | (get_byte(b, 1)::bigint << 24) | (get_byte(b, 2)::bigint << 16)
      | (get_byte(b, 3)::bigint << 8) | get_byte(b, 4)::bigint;
  lo := (get_byte(b, 10)::bigint << 32) | (get_byte(b, 11)::bigint << 24) | (get_byte(b, 12)::bigint << 16)
      | (get_byte(b, 13)::bigint << 8) | get_byte(b, 14)::bigint;
  for i in reverse 7..0 loop
    result := result || substr(alphabet, ((hi >> (i * 5)) & 31)::int + 1, 1);
  end loop;
  for i in reverse 7..0 loop
    result := result || substr(alphabet, ((lo >> (i * 5)) & 31)::int + 1, 1);
  end loop;
  return result;
end $$;

-- Which eligibility dimension refuses this member, or null when none does.
-- Empty or null lists mean anyone; tags match any-of.
create function rd_ineligible_dimension(r reward_master, u user_accounts) returns text
language plpgsql stable as $$
begin
  if coalesce(cardinality(r.allowed_tiers), 0) > 0
     and (u.tier_id is null or not (u.tier_id = any (r.allowed_tiers))) then
    return 'tier';
  end if;
  if coalesce(cardinality(r.allowed_personas), 0) > 0
     and (u.persona_id is null or not (u.persona_id = any (r.allowed_personas))) then
    return 'persona';
  end if;
  if coalesce(cardinality(r.allowed_tags), 0) > 0
     and not exists (select 1 from user_tags t where t.user_id = u.id and t.tag_id = any (r.allowed_tags)) then
    return 'tags';
  end if;
  if coalesce(cardinality(r.allowed_birth_months), 0) > 0
     and (u.birth_date is null or not (extract(month from u.birth_date)::int = any (r.allowed_birth_months))) then
    return 'birth_month';
  end if;
  return null;
end $$;

-- The price of one unit for this member (domain.md, "Points pricing"): the matching condition row
-- with the highest specificity score (tier 1000, user_type 100, persona 10, tags 1), then the
-- highest priority, then the lowest price. No match: fallback_points (0 when null), or null when
-- require_points_match, which the callers turn into NO_POINTS_CONFIG.
create function rd_unit_price(r reward_master, u user_accounts, out points bigint, out condition_id uuid)
language plpgsql stable as $$
declare
  member_tags uuid[] := array(select t.tag_id from user_tags t where t.user_id = u.id);
begin
  select c.points_required, c.id into points, condition_id
  from reward_points_conditions c
  where c.reward_id = r.id and c.active
    and (c.tier_id is null or c.tier_id = u.tier_id)
    and (c.user_type is null or c.user_type = u.user_type)
    and (c.persona_id is null or c.persona_id = u.persona_id)
    and (coalesce(cardinality(c.tag_ids), 0) = 0 or c.tag_ids <@ member_tags)
  order by (case when c.tier_id is not null then 1000 else 0 end
          + case when c.user_type is not null then 100 else 0 end
          + case when c.persona_id is not null then 10 else 0 end
          + case when coalesce(cardinality(c.tag_ids), 0) > 0 then 1 else 0 end) desc,
           c.priority desc,
           c.points_required asc
  limit 1;
  if not found then
    condition_id := null;
    points := case when r.require_points_match then null else coalesce(r.fallback_points, 0) end;
  end if;
end $$;

-- The start of the calendar window holding `at`, in the merchant's time zone.
create function rd_window_start(unit text, tz text, at timestamptz default now()) returns timestamptz
language sql stable as $$
  select case when unit = 'all_time' then '-infinity'::timestamptz
              else date_trunc(unit, at at time zone tz) at time zone tz end
$$;

-- Usage of one limit in its current window. User scope sums the member's own live rows in the
-- window (at most max_count rows, each qty >= 1); total scope reads its counter row. Neither
-- grows with the ledger.
create function rd_limit_used(l transaction_limits, p_user_id uuid, tz text) returns bigint
language plpgsql stable as $$
declare
  v_start timestamptz := rd_window_start(l.time_unit, tz);
  v_used bigint;
begin
  if l.scope = 'user' then
    select coalesce(sum(qty), 0) into v_used
    from reward_redemptions_ledger
    where user_id = p_user_id and reward_id = l.reward_id and success and cancelled_at is null
      and redeemed_at >= v_start;
  else
    select coalesce(max(used), 0) into v_used from limit_usage where limit_id = l.id and window_start = v_start;
  end if;
  return v_used;
end $$;

-- The first of these limits that `requested` more units would break, with the numbers behind it,
-- or null.
create function rd_limit_breach(limits transaction_limits[], p_user_id uuid, requested bigint, tz text) returns jsonb
language plpgsql stable as $$
declare
  l transaction_limits;
  v_used bigint;
begin
  foreach l in array limits loop
    v_used := rd_limit_used(l, p_user_id, tz);
    if v_used + requested > l.max_count then
      return jsonb_build_object('limit', l.max_count, 'unit', l.time_unit, 'scope', l.scope,
        'used', v_used, 'remaining', greatest(l.max_count - v_used, 0), 'requested', requested);
    end if;
  end loop;
  return null;
end $$;

-- Points top-up (seed, goodwill): one earn entry, idempotent on its source.
create function rd_earn_points(p_merchant_id uuid, p_user_id uuid, p_amount bigint,
                               p_source_type text, p_source_id text, p_note text default null) returns bigint
language plpgsql as $$
declare
  v_after bigint;
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'amount must be a positive whole number' using errcode = 'RD001';
  end if;
  if exists (select 1 from wallet_ledger where source_type = p_source_type and source_id = p_source_id) then
    select points_balance into v_after from user_wallet where user_id = p_user_id;
    return v_after;
  end if;
  insert into user_wallet (user_id, merchant_id, points_balance)
  select id, merchant_id, 0 from user_accounts where id = p_user_id and merchant_id = p_merchant_id
  on conflict (user_id) do nothing;
  update user_wallet set points_balance = points_balance + p_amount, updated_at = now()
  where user_id = p_user_id and merchant_id = p_merchant_id
  returning points_balance into v_after;
  if not found then
    raise exception 'user % not found in merchant %', p_user_id, p_merchant_id using errcode = 'RD001';
  end if;
  insert into wallet_ledger (merchant_id, user_id, direction, amount, signed_amount, balance_before,
                             balance_after, source_type, source_id, note)
  values (p_merchant_id, p_user_id, 'earn', p_amount, p_amount, v_after - p_amount, v_after,
          p_source_type, p_source_id, p_note);
  return v_after;
end $$;
