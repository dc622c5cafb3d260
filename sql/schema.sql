-- The schema built by sql/00*.sql, dumped by `npm run schema:dump` (scripts/schema-dump.js).
-- Generated: edit the migrations, never this file; tests/db/schema.test.ts keeps it current.
--
-- PostgreSQL database dump
--

--
-- Name: cancel_redemptions(uuid, text, text, text, text, text, boolean, boolean, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cancel_redemptions(p_merchant_id uuid, p_by text, p_value text, p_actor text, p_reason text, p_codes text DEFAULT 'release'::text, p_force_used boolean DEFAULT false, p_dry_run boolean DEFAULT false, p_limit integer DEFAULT NULL::integer) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
declare
  v_total     int;
  v_live      int;
  v_done      int;
  v_used      jsonb;
  v_ids       uuid[];
  v_rows      jsonb;
  v_refunded  bigint;
  v_codes_n   int;
  v_released  int;
  v_voided    int;
  v_used_void int;
  v_more      boolean := false;
  v_notes     text[] := '{}';
begin
  if nullif(btrim(p_actor), '') is null or nullif(btrim(p_reason), '') is null then
    raise exception 'cancelling needs an actor and a reason' using errcode = 'RD002';
  end if;
  if p_codes is null or p_codes not in ('release', 'void') then
    raise exception 'codes must be release or void, not %', coalesce(p_codes, 'null') using errcode = 'RD001';
  end if;
  if p_limit is not null and p_limit < 1 then
    raise exception 'the chunk size must be at least 1, not %', p_limit using errcode = 'RD001';
  end if;

  -- The whole selection, read without locks: the refusals hold for all of it, not one chunk.
  select count(*), count(*) filter (where success and cancelled_at is null),
         count(*) filter (where success and cancelled_at is not null),
         coalesce(jsonb_agg(code order by user_id, promo_code_id nulls first, id)
                  filter (where success and cancelled_at is null and used_at is not null), '[]')
    into v_total, v_live, v_done, v_used
  from reward_redemptions_ledger where id in (select rd_select_rows(p_merchant_id, p_by, p_value));
  if v_total = 0 then
    return jsonb_build_object('success', false, 'error_code', 'REDEMPTION_NOT_FOUND',
      'message', format('No redemption found for %s %s', p_by, p_value), 'cancelled', 0);
  end if;
  if v_live + v_done = 0 then
    return jsonb_build_object('success', false, 'error_code', 'NOT_REDEEMED',
      'message', 'The request failed, so nothing was redeemed and there is nothing to cancel', 'cancelled', 0);
  end if;
  if v_live = 0 then
    return rd_cancel_nothing_left(v_done);
  end if;
  if jsonb_array_length(v_used) > 0 and not p_force_used then
    return rd_cancel_used_refusal(v_used);
  end if;

  -- 1. This call's rows. A dry run reads them all; a cancel locks at most p_limit, in one order.
  if p_dry_run then
    select array_agg(id order by user_id, promo_code_id nulls first, id) into v_ids
    from reward_redemptions_ledger
    where id in (select rd_select_rows(p_merchant_id, p_by, p_value)) and success and cancelled_at is null;
  else
    select array_agg(l.id order by l.user_id, l.promo_code_id nulls first, l.id) into v_ids
    from (select id, user_id, promo_code_id from reward_redemptions_ledger
          where id in (select rd_select_rows(p_merchant_id, p_by, p_value)) and success and cancelled_at is null
          order by user_id, promo_code_id nulls first, id
          limit p_limit
          for update) l;
    if v_ids is null then
      -- A concurrent cancel took the rest between the read above and the lock.
      return rd_cancel_nothing_left(v_done + v_live);
    end if;
    -- Locked now: a row marked used since the read above refuses this chunk.
    select coalesce(jsonb_agg(code order by user_id, promo_code_id nulls first, id), '[]') into v_used
    from reward_redemptions_ledger where id = any (v_ids) and used_at is not null;
    if jsonb_array_length(v_used) > 0 and not p_force_used then
      return rd_cancel_used_refusal(v_used);
    end if;
  end if;

  -- 2. The settings of the rows' rewards, shared, in reward order (sql/0017, the lock a redemption
  -- holds): a stock or limit change that recounts a counter waits for this chunk to commit, and
  -- one that committed before is read by the counter step below.
  if not p_dry_run then
    perform rd_cancel_lock_settings(v_ids);
  end if;

  -- What happens to each row and its pool code: a used code has been seen, so it is voided even
  -- when release was asked for (docs/domain.md, "After redemption").
  select coalesce(jsonb_agg(jsonb_build_object('redemption_id', r.id, 'redemption_code', r.code,
           'user_id', r.user_id, 'promo_code', r.promo_code, 'qty', r.qty,
           'points_refunded', r.points_deducted, 'was_used', r.used_at is not null,
           'code', r.code_action, 'code_reason', r.code_why) order by r.user_id, r.promo_code_id nulls first, r.id), '[]'),
         coalesce(sum(r.points_deducted), 0), count(r.promo_code_id),
         count(*) filter (where r.code_action = 'released'), count(*) filter (where r.code_action = 'voided'),
         count(*) filter (where r.code_why = 'used' and p_codes = 'release')
    into v_rows, v_refunded, v_codes_n, v_released, v_voided, v_used_void
  from (select l.*,
               case when l.promo_code_id is null then null
                    when l.used_at is not null or p_codes = 'void' then 'voided' else 'released' end as code_action,
               case when l.promo_code_id is null then null when l.used_at is not null then 'used'
                    when p_codes = 'void' then 'requested' end as code_why
        from reward_redemptions_ledger l where l.id = any (v_ids)) r;

  if not p_dry_run then
    update reward_redemptions_ledger
       set cancelled_at = now(), cancelled_by = p_actor, cancel_reason = p_reason
     where id = any (v_ids);
    -- Whether rows remain for another chunk, the audit row and the notification: before the
    -- wallets, which are held from their lock to the commit.
    if p_limit is not null then
      v_more := exists (select 1 from reward_redemptions_ledger
                        where id in (select rd_select_rows(p_merchant_id, p_by, p_value)) and success and cancelled_at is null);
    end if;
    insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
    values (p_merchant_id, p_actor, 'cancel', p_by, p_value, p_reason,
            jsonb_build_object('rows', jsonb_array_length(v_rows), 'points_refunded', v_refunded,
                               'codes', p_codes, 'force_used', p_force_used,
                               'codes_released', v_released, 'codes_voided', v_voided, 'chunk_limit', p_limit));
    -- Only while someone listens: see ledger_listeners in 0001_schema.sql for why.
    if exists (select 1 from ledger_listeners where expires_at > now()) then
      perform pg_notify('redeemctl_ledger', json_build_object('kind', 'cancel', 'merchant_id', p_merchant_id,
        'by', p_by, 'value', p_value, 'rows', jsonb_array_length(v_rows))::text);
    end if;
    -- 3. Wallets, every one before any shared counter.
    perform rd_cancel_refund(p_merchant_id, v_ids, p_reason);
    -- 4. Pool codes.
    update reward_promo_code p
       set status = case when l.used_at is null and p_codes = 'release' then 'available' else 'voided' end,
           ledger_id = null, redeemed_at = null
      from reward_redemptions_ledger l
     where l.id = any (v_ids) and p.id = l.promo_code_id;
    -- 5. The shared counters, last: each once, for one short statement, until the commit.
    perform rd_cancel_counters(p_merchant_id, v_ids);
  end if;

  -- "1 code(s) released, 1 used code(s) voided, not released"; with void asked, all are "voided".
  if v_released > 0 then v_notes := v_notes || format('%s code(s) released', v_released); end if;
  if v_voided - v_used_void > 0 then v_notes := v_notes || format('%s code(s) voided', v_voided - v_used_void); end if;
  if v_used_void > 0 then v_notes := v_notes || format('%s used code(s) voided, not released', v_used_void); end if;
  return jsonb_build_object('success', true, 'error_code', null, 'dry_run', p_dry_run,
    'message', format('%s %s redemption(s), refunding %s points%s', case when p_dry_run then 'Would cancel' else 'Cancelled' end,
                      jsonb_array_length(v_rows), v_refunded,
                      coalesce(', ' || nullif(array_to_string(v_notes, ', '), ''), '')),
    'cancelled', case when p_dry_run then 0 else jsonb_array_length(v_rows) end,
    'already_cancelled', v_done, 'points_refunded', v_refunded,
    'codes', p_codes, 'codes_affected', v_codes_n, 'codes_released', v_released, 'codes_voided', v_voided,
    'more', v_more, 'rows', v_rows);
end $$;

--
-- Name: pool_counts_rollup(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.pool_counts_rollup() RETURNS void
    LANGUAGE sql
    AS $$
  with moved as (
    delete from pool_count_deltas returning *
  ), summed as (
    select reward_id, sum(total) as total, sum(available) as available, sum(redeemed) as redeemed, sum(voided) as voided
    from moved group by reward_id
  )
  insert into pool_counts as p (reward_id, total, available, redeemed, voided)
  select reward_id, total, available, redeemed, voided from summed
  on conflict (reward_id) do update set
    total = p.total + excluded.total, available = p.available + excluded.available,
    redeemed = p.redeemed + excluded.redeemed, voided = p.voided + excluded.voided, updated_at = now()
$$;

--
-- Name: quote_reward(uuid, uuid, uuid, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.quote_reward(p_reward_id uuid, p_user_id uuid, p_merchant_id uuid, p_quantity integer DEFAULT 1) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
declare
  v_user      user_accounts;
  v_reward    reward_master;
  v_tz        text;
  v_dimension text;
  v_unit      bigint;
  v_condition uuid;
  v_balance   bigint;
  v_issued    bigint;
  v_codes     int;
  v_limit     transaction_limits;
  v_limits    jsonb := '[]'::jsonb;
  v_max       bigint := 1000;
  v_binding   text := 'quantity_cap';
  v_blocker   text;
  v_message   text;
  v_remaining bigint;
  v_used      bigint;
  v_limit_arr transaction_limits[];
  v_breach    jsonb;
  v_fail      jsonb;
  v_required  numeric;
begin
  select * into v_user from user_accounts where id = p_user_id and merchant_id = p_merchant_id;
  if not found then
    return jsonb_build_object('eligible', false, 'error_code', 'USER_NOT_FOUND', 'message', 'User not found', 'max_quantity', 0);
  end if;
  select * into v_reward from reward_master where id = p_reward_id and merchant_id = p_merchant_id;
  if not found then
    return jsonb_build_object('eligible', false, 'error_code', 'REWARD_NOT_FOUND', 'message', 'Reward not found', 'max_quantity', 0);
  end if;
  select time_zone into v_tz from merchants where id = p_merchant_id;
  select array_agg(l order by l.scope, l.time_unit) into v_limit_arr
  from transaction_limits l where l.reward_id = v_reward.id and l.active;
  select coalesce(max(points_balance), 0) into v_balance from user_wallet where user_id = p_user_id;
  select points, condition_id into v_unit, v_condition from rd_unit_price(v_reward, v_user);
  v_dimension := rd_ineligible_dimension(v_reward, v_user);
  -- In numeric, as redeem does: a price near the bigint maximum times the quantity can pass it.
  v_required := v_unit::numeric * p_quantity;

  if not v_user.active then
    v_blocker := 'USER_INACTIVE'; v_message := 'User account is inactive';
  elsif not v_reward.active then
    v_blocker := 'REWARD_INACTIVE'; v_message := 'Reward is inactive';
  elsif v_limit_arr is not null and not rd_time_zone_known(v_tz) then
    -- Limits cannot be counted without their calendar windows: redeem refuses the same way.
    v_blocker := 'INVALID_TIME_ZONE'; v_message := rd_time_zone_message(v_tz);
  elsif v_dimension is not null then
    v_blocker := 'NOT_ELIGIBLE'; v_message := format('Not eligible for this reward: %s', v_dimension);
  elsif (v_reward.redeem_window_start is not null and now() < v_reward.redeem_window_start)
     or (v_reward.redeem_window_end is not null and now() > v_reward.redeem_window_end) then
    v_blocker := 'OUTSIDE_REDEMPTION_WINDOW'; v_message := 'Outside the redemption window';
  elsif v_unit is null then
    v_blocker := 'NO_POINTS_CONFIG'; v_message := 'No points price applies to this member for this reward';
  end if;

  -- Each constraint that caps the quantity; the smallest cap binds.
  if v_unit is not null and v_unit > 0 and v_balance / v_unit < v_max then
    v_max := v_balance / v_unit; v_binding := 'points';
  end if;
  if v_reward.assign_promocode then
    select count(*) into v_codes from (select 1 from reward_promo_code
      where reward_id = v_reward.id and status = 'available' and (expires_at is null or expires_at > now())
      limit 1000) c;
    if v_codes < v_max then v_max := v_codes; v_binding := 'codes'; end if;
  elsif v_reward.stock_total is not null then
    select coalesce(max(issued), 0) into v_issued from reward_stock_usage where reward_id = v_reward.id;
    if greatest(v_reward.stock_total - v_issued, 0) < v_max then
      v_max := greatest(v_reward.stock_total - v_issued, 0); v_binding := 'stock';
    end if;
  end if;
  foreach v_limit in array case when v_blocker = 'INVALID_TIME_ZONE' then '{}' else coalesce(v_limit_arr, '{}') end loop
    v_used := rd_limit_used(v_limit, p_user_id, v_tz);
    v_remaining := greatest(v_limit.max_count - v_used, 0);
    v_limits := v_limits || jsonb_build_object('scope', v_limit.scope, 'unit', v_limit.time_unit,
      'limit', v_limit.max_count, 'used', v_used, 'remaining', v_remaining);
    if v_remaining < v_max then v_max := v_remaining; v_binding := 'limit_' || v_limit.scope; end if;
  end loop;

  -- What redeem_reward_with_points would answer for this quantity: its first refusal, in its
  -- order and with its wording (sql/0003_redeem.sql): the quantity, the member and reward, the
  -- time zone, the rules, limits, stock, codes, the price, points (sql/0014_redeem_edges.sql).
  -- Change the two together.
  if p_quantity is null or p_quantity < 1 or p_quantity > 1000 then
    v_fail := jsonb_build_object('error_code', 'INVALID_QUANTITY', 'message', 'Quantity must be a whole number between 1 and 1000');
  elsif v_blocker is not null and v_blocker <> 'NO_POINTS_CONFIG' then
    v_fail := jsonb_build_object('error_code', v_blocker, 'message', v_message);
  else
    v_breach := case when v_limit_arr is not null then rd_limit_breach(v_limit_arr, p_user_id, p_quantity, v_tz) end;
    if v_breach is not null then
      v_fail := jsonb_build_object('error_code', 'LIMIT_EXCEEDED', 'message',
        format('Limit exceeded: %s per %s (%s scope), used %s, remaining %s, requested %s',
          v_breach->>'limit', v_breach->>'unit', v_breach->>'scope', v_breach->>'used',
          v_breach->>'remaining', v_breach->>'requested'));
    elsif not v_reward.assign_promocode and v_reward.stock_total is not null
          and coalesce(v_issued, 0) + p_quantity > v_reward.stock_total then
      v_fail := jsonb_build_object('error_code', 'OUT_OF_STOCK', 'message',
        format('Out of stock: %s left, you requested %s', greatest(v_reward.stock_total - coalesce(v_issued, 0), 0), p_quantity));
    elsif v_reward.assign_promocode and v_codes < p_quantity then
      v_fail := jsonb_build_object('error_code', 'INSUFFICIENT_CODES', 'message',
        format('Only %s code(s) available, you requested %s', v_codes, p_quantity));
    elsif v_blocker is not null then
      v_fail := jsonb_build_object('error_code', v_blocker, 'message', v_message);
    elsif v_balance < v_required then
      v_fail := jsonb_build_object('error_code', 'INSUFFICIENT_POINTS', 'message',
        format('Insufficient points. Required: %s, Available: %s', v_required, v_balance));
    end if;
  end if;

  if v_blocker is not null then
    v_max := 0; v_binding := lower(v_blocker);
  end if;
  return jsonb_build_object(
    'eligible', v_blocker is null, 'error_code', v_blocker, 'message', v_message,
    'dimension', v_dimension, 'points_per_unit', v_unit, 'condition_id', v_condition,
    'quantity', p_quantity, 'total_points', v_required, 'balance', v_balance,
    'max_quantity', v_max, 'binding', v_binding, 'codes_available', v_codes,
    'stock_remaining', case when v_reward.stock_total is not null then greatest(v_reward.stock_total - coalesce(v_issued, 0), 0) end,
    'limits', v_limits,
    'would_succeed', v_fail is null,
    'would_fail', v_fail);
end $$;

--
-- Name: rd_advance_claim_floor(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_advance_claim_floor(p_reward_id uuid) RETURNS bigint
    LANGUAGE plpgsql
    SET enable_sort TO 'off'
    AS $$
declare
  v_version bigint;
  v_floor bigint;
  v_marks bigint[];
  v_next bigint;
begin
  -- One statement, so one snapshot: the floor, the marks committed so far, and the first code
  -- claimable from the lowest of them. Codes that become claimable after this snapshot write
  -- marks this advance has not seen, and keeps. With no claimable code left, the floor goes past
  -- every id handed out so far (an import still in flight writes its own mark).
  select f.version, f.floor_id, m.ids,
         coalesce((select c.id from reward_promo_code c
                   where (c.reward_id, c.id) >= (p_reward_id, least(f.floor_id, m.low)) and c.reward_id <= p_reward_id
                     and c.status = 'available' and c.retired_at is null and (c.expires_at is null or c.expires_at > now())
                   order by c.reward_id, c.id limit 1),
                  (select s.last_value + 1 from reward_promo_code_id_seq s))
    into v_version, v_floor, v_marks, v_next
  from reward_claim_floor f,
       lateral (select array_agg(k.mark_id) as ids, min(k.code_id) as low
                from reward_claim_marks k where k.reward_id = p_reward_id) m
  where f.reward_id = p_reward_id;
  if not found or (v_next = v_floor and v_marks is null) then
    return v_floor;
  end if;
  perform 1 from reward_claim_floor where reward_id = p_reward_id and version = v_version for update skip locked;
  if not found then
    return null;
  end if;
  update reward_claim_floor set floor_id = v_next, version = version + 1 where reward_id = p_reward_id;
  if v_marks is not null then
    delete from reward_claim_marks where mark_id = any (v_marks);
  end if;
  return v_next;
end $$;

--
-- Name: rd_available_codes(uuid, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_available_codes(p_reward_id uuid, p_limit integer) RETURNS integer
    LANGUAGE sql STABLE
    SET enable_sort TO 'off'
    AS $$
  select count(*)::int
  from (select 1 from reward_promo_code
        where (reward_id, id) >= (p_reward_id, coalesce(rd_claim_floor(p_reward_id), 0)) and reward_id <= p_reward_id
          and status = 'available' and retired_at is null and (expires_at is null or expires_at > now())
        order by reward_id, id limit p_limit) c
$$;

--
-- Name: rd_cancel_counters(uuid, uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_cancel_counters(p_merchant_id uuid, p_ids uuid[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_tz     text;
  v_key    uuid;
  v_start  timestamptz;
  v_units  bigint;
begin
  for v_key, v_units in
    select l.reward_id, sum(l.qty)
    from reward_redemptions_ledger l join reward_master m on m.id = l.reward_id
    where l.id = any (p_ids) and not m.assign_promocode and m.stock_total is not null
    group by l.reward_id order by l.reward_id
  loop
    update reward_stock_usage set issued = greatest(issued - v_units, 0) where reward_id = v_key;
  end loop;

  if not exists (select 1 from transaction_limits t
                 where t.reward_id in (select reward_id from reward_redemptions_ledger where id = any (p_ids))
                   and t.active and t.scope = 'total') then
    return;
  end if;
  select time_zone into v_tz from merchants where id = p_merchant_id;
  for v_key, v_start, v_units in
    select t.id, rd_window_start(t.time_unit, v_tz, l.redeemed_at) as window_start, sum(l.qty)
    from reward_redemptions_ledger l
    join transaction_limits t on t.reward_id = l.reward_id and t.active and t.scope = 'total'
    where l.id = any (p_ids) and (t.time_unit = 'all_time' or rd_time_zone_known(v_tz))
    group by t.reward_id, t.scope, t.time_unit, t.id, 2
    order by t.reward_id, t.scope, t.time_unit, t.id, 2
  loop
    update limit_usage set used = greatest(used - v_units, 0) where limit_id = v_key and window_start = v_start;
  end loop;
end $$;

--
-- Name: rd_cancel_lock_settings(uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_cancel_lock_settings(p_ids uuid[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_reward uuid;
begin
  for v_reward in select distinct reward_id from reward_redemptions_ledger
                  where id = any (p_ids) and reward_id is not null order by reward_id loop
    perform pg_advisory_xact_lock_shared(rd_reward_settings_key(v_reward));
  end loop;
end $$;

--
-- Name: rd_cancel_nothing_left(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_cancel_nothing_left(p_done integer) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
  select jsonb_build_object('success', true, 'error_code', null, 'info_code', 'ALREADY_CANCELLED',
    'message', 'Already cancelled; nothing changed', 'cancelled', 0, 'already_cancelled', p_done,
    'points_refunded', 0, 'more', false, 'rows', '[]'::jsonb)
$$;

--
-- Name: rd_cancel_refund(uuid, uuid[], text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_cancel_refund(p_merchant_id uuid, p_ids uuid[], p_note text) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  perform 1 from user_wallet
   where user_id in (select user_id from reward_redemptions_ledger where id = any (p_ids) and points_deducted > 0)
   order by user_id
   for update;
  with refund as (
    select user_id, sum(points_deducted) as amount
    from reward_redemptions_ledger where id = any (p_ids) and points_deducted > 0
    group by user_id
  ), wallet as (
    update user_wallet w set points_balance = w.points_balance + r.amount, updated_at = now()
      from refund r where w.user_id = r.user_id
    returning w.user_id, w.points_balance - r.amount as before
  )
  insert into wallet_ledger (merchant_id, user_id, direction, amount, signed_amount, balance_before,
                             balance_after, source_type, source_id, note)
  select p_merchant_id, l.user_id, 'earn', l.points_deducted, l.points_deducted,
         w.before + sum(l.points_deducted) over running - l.points_deducted,
         w.before + sum(l.points_deducted) over running,
         'redemption_cancellation', l.id::text, p_note
  from reward_redemptions_ledger l join wallet w on w.user_id = l.user_id
  where l.id = any (p_ids) and l.points_deducted > 0
  window running as (partition by l.user_id order by l.promo_code_id nulls first, l.id
                     rows between unbounded preceding and current row)
  order by l.user_id, l.promo_code_id nulls first, l.id;
end $$;

--
-- Name: rd_cancel_used_refusal(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_cancel_used_refusal(p_used jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
  select jsonb_build_object('success', false, 'error_code', 'ALREADY_USED',
    'message', format('%s redemption(s) already used; cancel with force to refund them anyway (their codes are voided, never released)', jsonb_array_length(p_used)),
    'used_codes', p_used, 'cancelled', 0)
$$;

--
-- Name: rd_claim_codes(uuid, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_claim_codes(p_reward_id uuid, p_quantity integer, OUT code_ids bigint[], OUT codes text[]) RETURNS record
    LANGUAGE plpgsql
    SET enable_sort TO 'off'
    AS $$
declare
  v_floor bigint := coalesce(rd_claim_floor(p_reward_id), 0);
begin
  select array_agg(c.id order by c.id), array_agg(c.promo_code order by c.id) into code_ids, codes
  from (select id, promo_code from reward_promo_code
        where (reward_id, id) >= (p_reward_id, v_floor) and reward_id <= p_reward_id
          and status = 'available' and retired_at is null and (expires_at is null or expires_at > now())
        order by reward_id, id limit p_quantity
        for update skip locked) c;
  -- Move the floor once the claim starts a few codes past it, and on a shortage (so an empty
  -- pool's next request starts at its end).
  if coalesce(cardinality(code_ids), 0) < p_quantity or code_ids[1] - v_floor >= 32 then
    perform rd_advance_claim_floor(p_reward_id);
  end if;
end $$;

--
-- Name: rd_claim_floor(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_claim_floor(p_reward_id uuid) RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return least(coalesce((select floor_id from reward_claim_floor where reward_id = p_reward_id), 0),
               (select min(code_id) from reward_claim_marks where reward_id = p_reward_id));
end $$;

--
-- Name: rd_claim_mark_row(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_claim_mark_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  insert into reward_claim_marks (reward_id, code_id) values (new.reward_id, new.id);
  return null;
end $$;

--
-- Name: rd_claim_marks_on_insert(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_claim_marks_on_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  with lowest as (
    select reward_id, min(id) as code_id from new_rows group by reward_id
  ), floors as (
    insert into reward_claim_floor (reward_id) select reward_id from lowest on conflict (reward_id) do nothing
  )
  insert into reward_claim_marks (reward_id, code_id) select reward_id, code_id from lowest;
  return null;
end $$;

--
-- Name: rd_earn_points(uuid, uuid, bigint, text, text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_earn_points(p_merchant_id uuid, p_user_id uuid, p_amount bigint, p_source_type text, p_source_id text, p_note text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
declare
  v_after bigint;
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'amount must be a positive whole number' using errcode = 'RD001';
  end if;
  if exists (select 1 from wallet_ledger
             where merchant_id = p_merchant_id and source_type = p_source_type and source_id = p_source_id) then
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

--
-- Name: rd_event_key(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_event_key(p_merchant_id uuid, p_event_id text) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
  select hashtextextended(p_merchant_id::text || '/' || p_event_id, 7206)
$$;

--
-- Name: reward_master; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_master (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    reward_code text NOT NULL,
    name text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    allowed_tiers uuid[],
    allowed_personas uuid[],
    allowed_tags uuid[],
    allowed_birth_months integer[],
    redeem_window_start timestamp with time zone,
    redeem_window_end timestamp with time zone,
    fallback_points bigint,
    require_points_match boolean DEFAULT false NOT NULL,
    stock_total bigint,
    assign_promocode boolean DEFAULT false NOT NULL,
    default_promo_code text,
    use_expire_mode text,
    use_expire_ttl integer,
    use_expire_date timestamp with time zone,
    fulfilment text DEFAULT 'digital'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reward_master_allowed_birth_months_check CHECK ((allowed_birth_months <@ ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
    CONSTRAINT reward_master_check CHECK ((NOT (assign_promocode AND (stock_total IS NOT NULL)))),
    CONSTRAINT reward_master_check1 CHECK (((use_expire_mode IS DISTINCT FROM 'absolute_date'::text) OR (use_expire_date IS NOT NULL))),
    CONSTRAINT reward_master_check2 CHECK (((use_expire_mode <> ALL (ARRAY['relative_days'::text, 'relative_mins'::text])) OR (use_expire_ttl IS NOT NULL))),
    CONSTRAINT reward_master_fallback_points_check CHECK ((fallback_points >= 0)),
    CONSTRAINT reward_master_fulfilment_check CHECK ((fulfilment = ANY (ARRAY['digital'::text, 'shipping'::text, 'pickup'::text, 'printed'::text]))),
    CONSTRAINT reward_master_reward_code_check CHECK ((reward_code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'::text)),
    CONSTRAINT reward_master_stock_total_check CHECK ((stock_total >= 0)),
    CONSTRAINT reward_master_use_expire_mode_check CHECK ((use_expire_mode = ANY (ARRAY['relative_days'::text, 'relative_mins'::text, 'absolute_date'::text]))),
    CONSTRAINT reward_master_use_expire_ttl_check CHECK ((use_expire_ttl > 0))
);

--
-- Name: user_accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_accounts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    tier_id uuid,
    user_type text DEFAULT 'buyer'::text NOT NULL,
    persona_id uuid,
    birth_date date,
    email text,
    tel text,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_accounts_user_type_check CHECK ((user_type = ANY (ARRAY['buyer'::text, 'seller'::text])))
);

--
-- Name: rd_ineligible_dimension(public.reward_master, public.user_accounts); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_ineligible_dimension(r public.reward_master, u public.user_accounts) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
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

--
-- Name: transaction_limits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.transaction_limits (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    reward_id uuid NOT NULL,
    scope text NOT NULL,
    max_count bigint NOT NULL,
    time_unit text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT transaction_limits_max_count_check CHECK ((max_count >= 0)),
    CONSTRAINT transaction_limits_scope_check CHECK ((scope = ANY (ARRAY['user'::text, 'total'::text]))),
    CONSTRAINT transaction_limits_time_unit_check CHECK ((time_unit = ANY (ARRAY['day'::text, 'week'::text, 'month'::text, 'year'::text, 'all_time'::text])))
);

--
-- Name: rd_limit_breach(public.transaction_limits[], uuid, bigint, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_limit_breach(limits public.transaction_limits[], p_user_id uuid, requested bigint, tz text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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

--
-- Name: rd_limit_counts_changes(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_limit_counts_changes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if tg_op = 'UPDATE' and old.active and old.scope = 'total' and old.reward_id = new.reward_id
     and old.time_unit = new.time_unit then
    -- The counter was kept all along, in the same window; a new max_count binds from now on,
    -- once the redemptions in flight (which read the old one) have committed.
    perform rd_lock_reward_settings(new.reward_id);
    return null;
  end if;
  perform rd_recount_limit(new, (select time_zone from merchants where id = new.merchant_id));
  return null;
end $$;

--
-- Name: rd_limit_used(public.transaction_limits, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_limit_used(l public.transaction_limits, p_user_id uuid, tz text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
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

--
-- Name: rd_lock_reward_settings(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_lock_reward_settings(p_reward_id uuid) RETURNS void
    LANGUAGE sql
    AS $$
  select pg_advisory_xact_lock(rd_reward_settings_key(p_reward_id))
$$;

--
-- Name: rd_merchant_zone_changes(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_merchant_zone_changes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  l transaction_limits;
begin
  -- In reward order, so two changes lock the rewards' settings in one order.
  for l in select * from transaction_limits
           where merchant_id = new.id and active and scope = 'total' and time_unit <> 'all_time'
           order by reward_id, id loop
    perform rd_recount_limit(l, new.time_zone);
  end loop;
  return null;
end $$;

--
-- Name: redemption_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.redemption_requests (
    event_id text NOT NULL,
    merchant_id uuid NOT NULL,
    user_id uuid,
    reward_id uuid,
    quantity integer,
    mode text NOT NULL,
    source_type text NOT NULL,
    source_id text,
    actor text,
    reason text,
    replay_of text,
    status text DEFAULT 'processing'::text NOT NULL,
    error_code text,
    result jsonb,
    event_timestamp timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    processing_ms double precision,
    redelivery_count integer DEFAULT 0 NOT NULL,
    last_redelivered_at timestamp with time zone,
    CONSTRAINT redemption_requests_event_id_check CHECK (((length(event_id) >= 1) AND (length(event_id) <= 200))),
    CONSTRAINT redemption_requests_mode_check CHECK ((mode = ANY (ARRAY['calc'::text, 'direct'::text, 'force'::text]))),
    CONSTRAINT redemption_requests_status_check CHECK ((status = ANY (ARRAY['processing'::text, 'succeeded'::text, 'failed'::text])))
);

--
-- Name: rd_notify_ledger(public.redemption_requests, integer, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_notify_ledger(req public.redemption_requests, n_rows integer, ok boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  -- Only while someone listens: see ledger_listeners in 0001_schema.sql for why.
  if exists (select 1 from ledger_listeners where expires_at > now()) then
    perform pg_notify('redeemctl_ledger', json_build_object(
      'event_id', req.event_id, 'merchant_id', req.merchant_id, 'user_id', req.user_id,
      'reward_id', req.reward_id, 'success', ok, 'rows', n_rows, 'kind', 'redemption')::text);
  end if;
end $$;

--
-- Name: rd_pool_count_changes(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_pool_count_changes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if tg_op = 'INSERT' then
    insert into pool_count_deltas (reward_id, total, available, redeemed, voided)
    select reward_id, count(*), count(*) filter (where status = 'available'),
           count(*) filter (where status = 'redeemed'), count(*) filter (where status = 'voided')
    from new_rows group by reward_id;
  elsif tg_op = 'UPDATE' then
    insert into pool_count_deltas (reward_id, available, redeemed, voided)
    select reward_id, sum(a), sum(r), sum(v)
    from (select reward_id, (status = 'available')::int as a, (status = 'redeemed')::int as r, (status = 'voided')::int as v from new_rows
          union all
          select reward_id, -(status = 'available')::int, -(status = 'redeemed')::int, -(status = 'voided')::int from old_rows) changes
    group by reward_id
    having sum(a) <> 0 or sum(r) <> 0 or sum(v) <> 0;
  else
    insert into pool_count_deltas (reward_id, total, available, redeemed, voided)
    select reward_id, -count(*), -count(*) filter (where status = 'available'),
           -count(*) filter (where status = 'redeemed'), -count(*) filter (where status = 'voided')
    from old_rows group by reward_id;
  end if;
  return null;
end $$;

--
-- Name: rd_recount_limit(public.transaction_limits, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_recount_limit(l public.transaction_limits, tz text) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  v_start  timestamptz;
  v_exists boolean;
  v_live   bigint;
begin
  if l.scope <> 'total' or not l.active or (l.time_unit <> 'all_time' and not rd_time_zone_known(tz)) then
    return;
  end if;
  perform rd_lock_reward_settings(l.reward_id);
  v_start := rd_window_start(l.time_unit, tz);
  -- Lock first, then count in the next statement (sql/0016_limit_history.sql).
  perform 1 from limit_usage where limit_id = l.id and window_start = v_start for update;
  v_exists := found;
  select coalesce(sum(qty), 0) into v_live
  from reward_redemptions_ledger
  where reward_id = l.reward_id and success and cancelled_at is null and redeemed_at >= v_start;
  if v_exists or v_live > 0 then
    insert into limit_usage as u (limit_id, window_start, used) values (l.id, v_start, v_live)
    on conflict (limit_id, window_start) do update set used = excluded.used;
  end if;
end $$;

--
-- Name: rd_redemption_code(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_redemption_code() RETURNS text
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: rd_refuse(public.redemption_requests, text, text, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_refuse(req public.redemption_requests, p_error_code text, p_message text, p_details jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
declare
  v_result jsonb;
  v_balance bigint;
begin
  select points_balance into v_balance from user_wallet
  where user_id = req.user_id and merchant_id = req.merchant_id;
  v_result := jsonb_build_object(
    'success', false, 'error_code', p_error_code, 'message', p_message, 'event_id', req.event_id,
    'idempotent', false, 'redemptions', '[]'::jsonb, 'total_quantity', 0,
    'total_points_deducted', 0, 'new_balance', v_balance, 'mode', req.mode) || coalesce(p_details, '{}');
  insert into reward_redemptions_ledger (code, merchant_id, user_id, reward_id, event_id, qty,
      points_deducted, success, error_code, error_message, mode, source_type, source_id, actor, reason)
  values (rd_redemption_code(), req.merchant_id, req.user_id, req.reward_id, req.event_id,
      coalesce(req.quantity, 0), 0, false, p_error_code, p_message, req.mode, req.source_type,
      req.source_id, req.actor, req.reason);
  req.status := 'failed';
  req.error_code := p_error_code;
  req.result := v_result;
  req.processing_ms := extract(epoch from clock_timestamp() - req.created_at) * 1000;
  insert into redemption_requests select req.*;
  perform rd_notify_ledger(req, 1, false);
  return v_result;
end $$;

--
-- Name: rd_reward_settings_key(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_reward_settings_key(p_reward_id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
  select hashtextextended(p_reward_id::text, 7207)
$$;

--
-- Name: rd_select_rows(uuid, text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_select_rows(p_merchant_id uuid, p_by text, p_value text) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE
    AS $_$
begin
  if p_by = 'redemption' then
    if p_value !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      return;
    end if;
    return query select id from reward_redemptions_ledger where id = p_value::uuid and merchant_id = p_merchant_id;
  elsif p_by = 'code' then
    return query select id from reward_redemptions_ledger where code = upper(btrim(p_value)) and merchant_id = p_merchant_id;
  elsif p_by = 'event' then
    return query select id from reward_redemptions_ledger where event_id = p_value and merchant_id = p_merchant_id;
  elsif p_by = 'batch' then
    return query select id from reward_redemptions_ledger
      where source_type = 'batch' and source_id = p_value and merchant_id = p_merchant_id;
  else
    raise exception 'select rows by redemption, code, event or batch, not %', p_by using errcode = 'RD001';
  end if;
end $_$;

--
-- Name: rd_stock_counts_changes(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_stock_counts_changes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  v_exists boolean;
  v_live   bigint;
begin
  perform rd_lock_reward_settings(new.id);
  if new.stock_total is null or new.assign_promocode then
    delete from reward_stock_usage where reward_id = new.id;
    return null;
  end if;
  -- Lock first, then count in the next statement (sql/0016_limit_history.sql).
  perform 1 from reward_stock_usage where reward_id = new.id for update;
  v_exists := found;
  select coalesce(sum(qty), 0) into v_live
  from reward_redemptions_ledger where reward_id = new.id and success and cancelled_at is null;
  if v_exists or v_live > 0 then
    insert into reward_stock_usage as s (reward_id, issued) values (new.id, v_live)
    on conflict (reward_id) do update set issued = excluded.issued;
  end if;
  return null;
end $$;

--
-- Name: rd_sweep_expired_codes(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_sweep_expired_codes(p_limit integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET enable_sort TO 'off'
    AS $$
declare
  v_count int;
  v_rewards uuid[];
  v_reward uuid;
begin
  with due as (
    select id from reward_promo_code
    where status = 'available' and retired_at is null and expires_at is not null and expires_at <= now()
    order by expires_at limit p_limit
    for update skip locked
  ), retired as (
    update reward_promo_code p set retired_at = now() from due where p.id = due.id returning p.reward_id
  )
  select count(*)::int, array_agg(distinct reward_id) into v_count, v_rewards from retired;
  foreach v_reward in array coalesce(v_rewards, '{}') loop
    perform rd_advance_claim_floor(v_reward);
  end loop;
  return v_count;
end $$;

--
-- Name: rd_time_zone_known(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_time_zone_known(tz text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  perform now() at time zone tz;
  return tz is not null;
exception when invalid_parameter_value then
  return false;
end $$;

--
-- Name: rd_time_zone_message(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_time_zone_message(tz text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select format('The merchant''s time zone "%s" is not recognised: limits cannot be counted until it is corrected', tz)
$$;

--
-- Name: rd_unit_price(public.reward_master, public.user_accounts); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_unit_price(r public.reward_master, u public.user_accounts, OUT points bigint, OUT condition_id uuid) RETURNS record
    LANGUAGE plpgsql STABLE
    AS $$
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

--
-- Name: rd_window_start(text, text, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rd_window_start(unit text, tz text, at timestamp with time zone DEFAULT now()) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    AS $$
  select case when unit = 'all_time' then '-infinity'::timestamptz
              else date_trunc(unit, at at time zone tz) at time zone tz end
$$;

--
-- Name: record_invalid_event(text, uuid, uuid, uuid, integer, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.record_invalid_event(p_event_id text, p_merchant_id uuid, p_user_id uuid, p_reward_id uuid, p_quantity integer, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
declare
  v_req   redemption_requests;
  v_prior redemption_requests;
begin
  perform pg_advisory_xact_lock(rd_event_key(p_merchant_id, p_event_id));
  select * into v_prior from redemption_requests where merchant_id = p_merchant_id and event_id = p_event_id;
  if found then
    return v_prior.result || jsonb_build_object('idempotent', true);
  end if;
  -- row() follows the column order of redemption_requests (0001_schema.sql).
  v_req := row(p_event_id, p_merchant_id, p_user_id, p_reward_id, p_quantity, 'calc', 'kafka', null,
      null, null, null, 'processing', null, null, null, clock_timestamp(), null, 0, null)::redemption_requests;
  return rd_refuse(v_req, 'INVALID_EVENT', format('Unreadable event: %s', p_reason));
end $$;

--
-- Name: redeem_reward_with_points(uuid, integer, uuid, uuid, text, text, text, text, text, text, timestamp with time zone, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.redeem_reward_with_points(p_reward_id uuid, p_quantity integer, p_user_id uuid, p_merchant_id uuid, p_mode text DEFAULT 'calc'::text, p_event_id text DEFAULT NULL::text, p_source_type text DEFAULT 'api'::text, p_source_id text DEFAULT NULL::text, p_actor text DEFAULT NULL::text, p_reason text DEFAULT NULL::text, p_event_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone, p_replay_of text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
declare
  v_req       redemption_requests;
  v_prior     redemption_requests;
  v_user      user_accounts;
  v_reward    reward_master;
  v_tz        text;
  v_breach    jsonb;
  v_dimension text;
  v_code_ids  bigint[];
  v_codes     text[];
  v_held      int;
  v_available int;
  v_unit      bigint := 0;
  v_total     bigint := 0;
  v_balance   bigint;
  v_issued    bigint;
  v_expire    timestamptz;
  v_rows      jsonb;
  v_result    jsonb;
  v_limit     transaction_limits;
  v_limits    transaction_limits[];
  v_start     timestamptz;
  v_required  numeric;
  v_used      bigint;
  v_stock_taken boolean := false;
  v_taken_ids uuid[] := '{}';
  v_taken_at  timestamptz[] := '{}';
begin
  if p_merchant_id is null then
    raise exception 'p_merchant_id is required' using errcode = 'RD001';
  end if;
  if p_mode is null or p_mode not in ('calc', 'direct', 'force') then
    raise exception 'mode must be calc, direct or force, not %', coalesce(p_mode, 'null') using errcode = 'RD001';
  end if;
  if p_mode <> 'calc' and (nullif(btrim(p_actor), '') is null or nullif(btrim(p_reason), '') is null) then
    raise exception 'mode % needs an actor and a reason', p_mode using errcode = 'RD002';
  end if;

  -- 0. An event id that redemption_requests cannot hold (its check: 1 to 200 characters) is
  -- refused before anything else, and nothing is written: neither a request record nor a failure
  -- row can be stored under it, and a row without its record would break invariant 4. Like
  -- IDEMPOTENCY_CONFLICT, the refusal is only returned.
  if p_event_id is not null and length(p_event_id) not between 1 and 200 then
    return jsonb_build_object('success', false, 'error_code', 'INVALID_EVENT_ID',
      'message', 'event_id must be 1 to 200 characters', 'event_id', p_event_id,
      'idempotent', false, 'redemptions', '[]'::jsonb, 'total_quantity', 0,
      'total_points_deducted', 0, 'new_balance', null, 'mode', p_mode, 'length', length(p_event_id));
  end if;

  -- 1. Idempotency, per merchant. A transaction-scoped advisory lock on the merchant's event id
  -- makes a concurrent duplicate wait until the first commits, then find its record: exactly once,
  -- and the record is written once, at the end, with its result.
  -- row() follows the column order of redemption_requests (0001_schema.sql): change them together.
  v_req := row(coalesce(p_event_id, gen_random_uuid()::text), p_merchant_id, p_user_id, p_reward_id,
      p_quantity, p_mode, coalesce(p_source_type, 'api'), p_source_id, p_actor, p_reason, p_replay_of,
      'processing', null, null, p_event_timestamp, clock_timestamp(), null, 0, null)::redemption_requests;
  perform pg_advisory_xact_lock(rd_event_key(p_merchant_id, v_req.event_id));
  select * into v_prior from redemption_requests where merchant_id = p_merchant_id and event_id = v_req.event_id;
  if found then
    if v_prior.user_id is distinct from p_user_id
       or v_prior.reward_id is distinct from p_reward_id or v_prior.quantity is distinct from p_quantity
       or v_prior.mode is distinct from p_mode then
      return jsonb_build_object('success', false, 'error_code', 'IDEMPOTENCY_CONFLICT',
        'message', format('Event %s was already used for a different request', p_event_id),
        'event_id', p_event_id, 'idempotent', false, 'redemptions', '[]'::jsonb,
        'total_quantity', 0, 'total_points_deducted', 0, 'new_balance', null, 'mode', p_mode);
    end if;
    -- Monitoring only (the replay share of `metrics`); the business state is untouched.
    update redemption_requests set redelivery_count = redelivery_count + 1, last_redelivered_at = now()
    where merchant_id = p_merchant_id and event_id = v_prior.event_id;
    return v_prior.result || jsonb_build_object('idempotent', true);
  end if;

  -- 2. Quantity.
  if p_quantity is null or p_quantity < 1 or p_quantity > 1000 then
    return rd_refuse(v_req, 'INVALID_QUANTITY', 'Quantity must be a whole number between 1 and 1000',
      jsonb_build_object('requested', p_quantity));
  end if;

  -- The reward's settings (stock_total, its limits) cannot change until this request commits:
  -- a change waits for it, and this request, if it came after, reads the changed settings below
  -- (a new statement, a new snapshot). So a stock or limit in force binds every request, and a
  -- counter started by a change counts every request before it (rd_lock_reward_settings).
  perform pg_advisory_xact_lock_shared(rd_reward_settings_key(p_reward_id));

  -- 3. Member and reward, in this merchant only: another merchant's row is "not found".
  select * into v_user from user_accounts where id = p_user_id and merchant_id = p_merchant_id;
  if not found then
    return rd_refuse(v_req, 'USER_NOT_FOUND', 'User not found');
  end if;
  if not v_user.active then
    return rd_refuse(v_req, 'USER_INACTIVE', 'User account is inactive');
  end if;
  select * into v_reward from reward_master where id = p_reward_id and merchant_id = p_merchant_id;
  if not found then
    return rd_refuse(v_req, 'REWARD_NOT_FOUND', 'Reward not found');
  end if;
  if not v_reward.active then
    return rd_refuse(v_req, 'REWARD_INACTIVE', 'Reward is inactive');
  end if;

  -- The member's wallet row serialises this member's own requests (balance and user-scope
  -- limits), and only theirs: different members never wait on each other here.
  if p_mode <> 'direct' then
    select points_balance into v_balance from user_wallet where user_id = p_user_id for update;
    if not found then
      insert into user_wallet (user_id, merchant_id) values (p_user_id, p_merchant_id) on conflict do nothing;
      select points_balance into v_balance from user_wallet where user_id = p_user_id for update;
    end if;
  end if;

  -- Limits, read once; most rewards have none, and then the merchant's time zone is not needed.
  select array_agg(l order by l.scope, l.time_unit) into v_limits
  from transaction_limits l where l.reward_id = v_reward.id and l.active;
  if v_limits is not null then
    select time_zone into v_tz from merchants where id = p_merchant_id;
    -- Windows are calendar days, weeks… in this zone, and every mode needs them (calc checks,
    -- direct and force count total limits). A zone PostgreSQL does not know (nothing validated
    -- the column when the row was written) is the merchant's configuration to fix: refused,
    -- instead of raising on every request for a limited reward.
    if not rd_time_zone_known(v_tz) then
      return rd_refuse(v_req, 'INVALID_TIME_ZONE', rd_time_zone_message(v_tz),
        jsonb_build_object('time_zone', v_tz));
    end if;
  end if;

  -- 4. Rules: calc only.
  if p_mode = 'calc' then
    v_dimension := rd_ineligible_dimension(v_reward, v_user);
    if v_dimension is not null then
      return rd_refuse(v_req, 'NOT_ELIGIBLE', format('Not eligible for this reward: %s', v_dimension),
        jsonb_build_object('dimension', v_dimension));
    end if;
    if (v_reward.redeem_window_start is not null and now() < v_reward.redeem_window_start)
       or (v_reward.redeem_window_end is not null and now() > v_reward.redeem_window_end) then
      return rd_refuse(v_req, 'OUTSIDE_REDEMPTION_WINDOW', 'Outside the redemption window',
        jsonb_build_object('window_start', v_reward.redeem_window_start, 'window_end', v_reward.redeem_window_end));
    end if;
    v_breach := case when v_limits is not null then rd_limit_breach(v_limits, p_user_id, p_quantity, v_tz) end;
    if v_breach is not null then
      return rd_refuse(v_req, 'LIMIT_EXCEEDED',
        format('Limit exceeded: %s per %s (%s scope), used %s, remaining %s, requested %s',
          v_breach->>'limit', v_breach->>'unit', v_breach->>'scope', v_breach->>'used',
          v_breach->>'remaining', v_breach->>'requested'), v_breach);
    end if;
  end if;

  -- Stock, every mode: it is physical supply, which no staff override creates (only limits and
  -- rules are what direct and force bypass). A cheap early read; the counter update below is
  -- what guarantees it under concurrency.
  if not v_reward.assign_promocode and v_reward.stock_total is not null then
    select coalesce(max(issued), 0) into v_issued from reward_stock_usage where reward_id = v_reward.id;
    if v_issued + p_quantity > v_reward.stock_total then
      return rd_refuse(v_req, 'OUT_OF_STOCK',
        format('Out of stock: %s left, you requested %s', greatest(v_reward.stock_total - v_issued, 0), p_quantity),
        jsonb_build_object('available', greatest(v_reward.stock_total - v_issued, 0), 'requested', p_quantity));
    end if;
  end if;

  -- 5. Pool: the oldest N available, unexpired codes, skipping those other requests hold.
  if v_reward.assign_promocode then
    select c.code_ids, c.codes into v_code_ids, v_codes from rd_claim_codes(v_reward.id, p_quantity) c;
    v_held := coalesce(cardinality(v_code_ids), 0);
    if v_held < p_quantity then
      -- Counted only on this failure path, and never past N: bounded whatever the pool size.
      v_available := rd_available_codes(v_reward.id, p_quantity);
      if v_available >= p_quantity then
        -- Enough codes exist but concurrent requests hold them: retryable, so nothing is recorded
        -- and a retry with the same event id runs afresh.
        return jsonb_build_object('success', false, 'error_code', 'CONCURRENT_CONFLICT', 'retryable', true,
          'message', format('Only %s of %s code(s) could be reserved; others are being redeemed right now, retry', v_held, p_quantity),
          'event_id', v_req.event_id, 'idempotent', false, 'redemptions', '[]'::jsonb,
          'total_quantity', 0, 'total_points_deducted', 0, 'new_balance', v_balance, 'mode', p_mode,
          'available', v_available, 'requested', p_quantity);
      end if;
      return rd_refuse(v_req, 'INSUFFICIENT_CODES',
        format('Only %s code(s) available, you requested %s', v_available, p_quantity),
        jsonb_build_object('available', v_available, 'requested', p_quantity, 'shortage', p_quantity - v_available));
    end if;
  end if;

  -- 6. Price (calc and force).
  if p_mode <> 'direct' then
    select points into v_unit from rd_unit_price(v_reward, v_user);
    if v_unit is null then
      return rd_refuse(v_req, 'NO_POINTS_CONFIG', 'No points price applies to this member for this reward');
    end if;
    -- In numeric: a price near the bigint maximum times the quantity can pass it, and no balance
    -- (a bigint) can cover such a total, so it is INSUFFICIENT_POINTS with the exact figure.
    v_required := v_unit::numeric * p_quantity;
    if v_balance < v_required then
      return rd_refuse(v_req, 'INSUFFICIENT_POINTS',
        format('Insufficient points. Required: %s, Available: %s', v_required, v_balance),
        jsonb_build_object('required', v_required, 'available', v_balance, 'shortage', v_required - v_balance,
                           'points_per_unit', v_unit));
    end if;
    v_total := v_required::bigint;
  end if;

  -- Shared counters, last. Stock is capped in every mode; total limits are capped in calc, while
  -- direct and force count their usage without a cap, so later member requests see it (usage is
  -- every live row, whatever its mode). Each increment is one conditional statement: a request
  -- that would pass the cap changes nothing (the insert of a first counter row is conditional
  -- too), so concurrent requests never over-issue.
  if not v_reward.assign_promocode and v_reward.stock_total is not null then
    insert into reward_stock_usage as s (reward_id, issued)
    select v_reward.id, p_quantity where p_quantity <= v_reward.stock_total
    on conflict (reward_id) do update set issued = s.issued + excluded.issued
      where s.issued + excluded.issued <= v_reward.stock_total
    returning issued into v_issued;
    v_stock_taken := found;
    if not v_stock_taken then
      select coalesce(max(issued), 0) into v_issued from reward_stock_usage where reward_id = v_reward.id;
      return rd_refuse(v_req, 'OUT_OF_STOCK',
        format('Out of stock: %s left, you requested %s', greatest(v_reward.stock_total - v_issued, 0), p_quantity),
        jsonb_build_object('available', greatest(v_reward.stock_total - v_issued, 0), 'requested', p_quantity));
    end if;
  end if;
  foreach v_limit in array coalesce(v_limits, '{}') loop
    continue when v_limit.scope <> 'total';
    v_start := rd_window_start(v_limit.time_unit, v_tz);
    insert into limit_usage as u (limit_id, window_start, used)
    select v_limit.id, v_start, p_quantity where p_mode <> 'calc' or p_quantity <= v_limit.max_count
    on conflict (limit_id, window_start) do update set used = u.used + excluded.used
      where p_mode <> 'calc' or u.used + excluded.used <= v_limit.max_count
    returning used into v_issued;
    if not found then
      -- Lost a race for the last units (the checks above passed on the usage committed then): a
      -- refusal like any LIMIT_EXCEEDED, returned. The counters this request took above are given
      -- back first; it still holds their rows, so no one saw them.
      if v_stock_taken then
        update reward_stock_usage set issued = issued - p_quantity where reward_id = v_reward.id;
      end if;
      update limit_usage u set used = u.used - p_quantity
      from unnest(v_taken_ids, v_taken_at) as t(limit_id, window_start)
      where u.limit_id = t.limit_id and u.window_start = t.window_start;
      select coalesce(max(used), 0) into v_used from limit_usage
      where limit_id = v_limit.id and window_start = v_start;
      v_breach := jsonb_build_object('limit', v_limit.max_count, 'unit', v_limit.time_unit,
        'scope', v_limit.scope, 'used', v_used, 'remaining', greatest(v_limit.max_count - v_used, 0),
        'requested', p_quantity);
      return rd_refuse(v_req, 'LIMIT_EXCEEDED',
        format('Limit exceeded: %s per %s (%s scope), used %s, remaining %s, requested %s',
          v_breach->>'limit', v_breach->>'unit', v_breach->>'scope', v_breach->>'used',
          v_breach->>'remaining', v_breach->>'requested'), v_breach);
    end if;
    v_taken_ids := v_taken_ids || v_limit.id;
    v_taken_at := v_taken_at || v_start;
  end loop;

  -- 7. Write: pattern A (no pool) one row of qty N; pattern B (pool) N rows of qty 1.
  v_expire := case v_reward.use_expire_mode
    when 'relative_days' then now() + make_interval(days => v_reward.use_expire_ttl)
    when 'relative_mins' then now() + make_interval(mins => v_reward.use_expire_ttl)
    when 'absolute_date' then v_reward.use_expire_date end;
  if v_reward.assign_promocode then
    with ins as (
      insert into reward_redemptions_ledger (code, merchant_id, user_id, reward_id, event_id, qty,
          promo_code, promo_code_id, points_deducted, success, mode, source_type, source_id, actor,
          reason, use_expire_date, fulfilment, fulfilment_status)
      select rd_redemption_code(), p_merchant_id, p_user_id, v_reward.id, v_req.event_id, 1,
          c.promo_code, c.id, v_unit, true, p_mode, v_req.source_type, p_source_id, p_actor, p_reason,
          v_expire, v_reward.fulfilment, case when v_reward.fulfilment = 'shipping' then 'pending' end
      from unnest(v_code_ids, v_codes) as c(id, promo_code)
      returning id, code, promo_code, promo_code_id, qty, points_deducted
    ), claimed as (
      update reward_promo_code p set status = 'redeemed', redeemed_at = now(), ledger_id = ins.id
      from ins where p.id = ins.promo_code_id
    )
    select jsonb_agg(jsonb_build_object('redemption_id', id, 'redemption_code', code,
             'promo_code', promo_code, 'qty', qty, 'points_deducted', points_deducted) order by promo_code_id)
      into v_rows from ins;
  else
    with ins as (
      insert into reward_redemptions_ledger (code, merchant_id, user_id, reward_id, event_id, qty,
          promo_code, points_deducted, success, mode, source_type, source_id, actor, reason,
          use_expire_date, fulfilment, fulfilment_status)
      values (rd_redemption_code(), p_merchant_id, p_user_id, v_reward.id, v_req.event_id, p_quantity,
          v_reward.default_promo_code, v_total, true, p_mode, v_req.source_type, p_source_id, p_actor,
          p_reason, v_expire, v_reward.fulfilment,
          case when v_reward.fulfilment = 'shipping' then 'pending' end)
      returning id, code, promo_code, qty, points_deducted
    )
    select jsonb_agg(jsonb_build_object('redemption_id', id, 'redemption_code', code,
             'promo_code', promo_code, 'qty', qty, 'points_deducted', points_deducted))
      into v_rows from ins;
  end if;

  -- 8. One burn for the whole request.
  if v_total > 0 then
    update user_wallet set points_balance = points_balance - v_total, updated_at = now()
    where user_id = p_user_id;
    insert into wallet_ledger (merchant_id, user_id, direction, amount, signed_amount, balance_before,
                               balance_after, source_type, source_id)
    values (p_merchant_id, p_user_id, 'burn', v_total, -v_total, v_balance, v_balance - v_total,
            'redemption', v_req.event_id);
    v_balance := v_balance - v_total;
  elsif v_balance is null then
    select points_balance into v_balance from user_wallet where user_id = p_user_id;
  end if;

  -- 9. The stored result, the audit of staff modes, the notification.
  v_result := jsonb_build_object(
    'success', true, 'error_code', null,
    'message', format('Redeemed %s x %s for %s points', p_quantity, v_reward.reward_code, v_total),
    'event_id', v_req.event_id, 'idempotent', false, 'redemptions', v_rows,
    'total_quantity', p_quantity, 'total_points_deducted', v_total,
    'new_balance', coalesce(v_balance, 0), 'points_per_unit', v_unit, 'mode', p_mode,
    'pattern', case when v_reward.assign_promocode then 'B' else 'A' end);
  v_req.status := 'succeeded';
  v_req.result := v_result;
  v_req.processing_ms := extract(epoch from clock_timestamp() - v_req.created_at) * 1000;
  insert into redemption_requests select v_req.*;
  if p_mode <> 'calc' then
    insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
    values (p_merchant_id, p_actor, 'redeem_' || p_mode, 'redemption_request', v_req.event_id, p_reason,
            jsonb_build_object('user_id', p_user_id, 'reward_id', p_reward_id, 'quantity', p_quantity,
                               'points', v_total));
  end if;
  perform rd_notify_ledger(v_req, jsonb_array_length(v_rows), true);
  return v_result;
end $$;

--
-- Name: set_redemption_used(uuid, text, text, boolean, text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.set_redemption_used(p_merchant_id uuid, p_by text, p_value text, p_used boolean, p_actor text, p_note text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
declare
  v_row reward_redemptions_ledger;
begin
  if p_by not in ('redemption', 'code') then
    raise exception 'use and unuse select by redemption or code, not %', p_by using errcode = 'RD001';
  end if;
  if nullif(btrim(p_actor), '') is null then
    raise exception 'marking a redemption needs an actor' using errcode = 'RD002';
  end if;
  select * into v_row from reward_redemptions_ledger
   where id in (select rd_select_rows(p_merchant_id, p_by, p_value)) for update;
  if not found then
    return jsonb_build_object('success', false, 'error_code', 'REDEMPTION_NOT_FOUND',
      'message', format('No redemption found for %s %s', p_by, p_value));
  elsif not v_row.success then
    return jsonb_build_object('success', false, 'error_code', 'NOT_REDEEMED',
      'message', 'The request failed, so there is no redemption to mark');
  elsif v_row.cancelled_at is not null then
    return jsonb_build_object('success', false, 'error_code', 'REDEMPTION_CANCELLED',
      'message', 'The redemption is cancelled');
  elsif p_used and v_row.used_at is not null then
    return jsonb_build_object('success', false, 'error_code', 'ALREADY_USED',
      'message', format('Already used at %s by %s', v_row.used_at, v_row.used_by), 'used_at', v_row.used_at);
  elsif not p_used and v_row.used_at is null then
    return jsonb_build_object('success', false, 'error_code', 'NOT_USED', 'message', 'The redemption is not marked used');
  end if;

  update reward_redemptions_ledger
     set used_at = case when p_used then now() end,
         used_by = case when p_used then p_actor end,
         used_note = case when p_used then p_note end
   where id = v_row.id
  returning * into v_row;
  insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
  values (p_merchant_id, p_actor, case when p_used then 'use' else 'unuse' end, 'redemption', v_row.id::text,
          p_note, jsonb_build_object('code', v_row.code));
  return jsonb_build_object('success', true, 'error_code', null,
    'message', format('%s %s', case when p_used then 'Marked used:' else 'Unmarked:' end, v_row.code),
    'redemption_id', v_row.id, 'redemption_code', v_row.code, 'used_at', v_row.used_at);
end $$;

--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    merchant_id uuid,
    actor text NOT NULL,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text,
    reason text,
    details jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: code_import_batches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code_import_batches (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    reward_id uuid NOT NULL,
    file_name text,
    file_sha256 text,
    lot text,
    rows_read bigint DEFAULT 0 NOT NULL,
    imported bigint DEFAULT 0 NOT NULL,
    actor text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    voided_at timestamp with time zone,
    duplicates_in_file bigint DEFAULT 0 NOT NULL,
    duplicates_in_pool bigint DEFAULT 0 NOT NULL,
    invalid bigint DEFAULT 0 NOT NULL
);

--
-- Name: grant_batches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.grant_batches (
    id text NOT NULL,
    merchant_id uuid NOT NULL,
    file_name text NOT NULL,
    file_sha256 text NOT NULL,
    rows_total integer NOT NULL,
    rows_invalid integer DEFAULT 0 NOT NULL,
    rows_unknown integer DEFAULT 0 NOT NULL,
    mode text NOT NULL,
    all_or_nothing boolean DEFAULT false NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    runs integer DEFAULT 1 NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    interrupted_by text,
    runner_host text,
    runner_pid integer,
    runner_cwd text,
    command text,
    heartbeat_ms integer,
    heartbeat_at timestamp with time zone,
    CONSTRAINT grant_batches_actor_check CHECK ((btrim(actor) <> ''::text)),
    CONSTRAINT grant_batches_file_sha256_check CHECK ((file_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT grant_batches_heartbeat_ms_check CHECK ((heartbeat_ms > 0)),
    CONSTRAINT grant_batches_id_check CHECK ((id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'::text)),
    CONSTRAINT grant_batches_mode_check CHECK ((mode = ANY (ARRAY['calc'::text, 'direct'::text]))),
    CONSTRAINT grant_batches_reason_check CHECK ((btrim(reason) <> ''::text)),
    CONSTRAINT grant_batches_rows_invalid_check CHECK ((rows_invalid >= 0)),
    CONSTRAINT grant_batches_rows_total_check CHECK ((rows_total >= 0)),
    CONSTRAINT grant_batches_rows_unknown_check CHECK ((rows_unknown >= 0)),
    CONSTRAINT grant_batches_status_check CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'stopped'::text, 'interrupted'::text])))
);

--
-- Name: ledger_listeners; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_listeners (
    id uuid NOT NULL,
    merchant_id uuid,
    expires_at timestamp with time zone NOT NULL
);

--
-- Name: limit_usage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.limit_usage (
    limit_id uuid NOT NULL,
    window_start timestamp with time zone NOT NULL,
    used bigint DEFAULT 0 NOT NULL,
    CONSTRAINT limit_usage_used_check CHECK ((used >= 0))
);

--
-- Name: merchants; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.merchants (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    time_zone text DEFAULT 'UTC'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: personas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.personas (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    name text NOT NULL
);

--
-- Name: pool_count_deltas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pool_count_deltas (
    reward_id uuid NOT NULL,
    total bigint DEFAULT 0 NOT NULL,
    available bigint DEFAULT 0 NOT NULL,
    redeemed bigint DEFAULT 0 NOT NULL,
    voided bigint DEFAULT 0 NOT NULL
);

--
-- Name: pool_counts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pool_counts (
    reward_id uuid NOT NULL,
    total bigint DEFAULT 0 NOT NULL,
    available bigint DEFAULT 0 NOT NULL,
    redeemed bigint DEFAULT 0 NOT NULL,
    voided bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: redeemctl_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.redeemctl_migrations (
    id integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: reward_claim_floor; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_claim_floor (
    reward_id uuid NOT NULL,
    floor_id bigint DEFAULT 0 NOT NULL,
    version bigint DEFAULT 0 NOT NULL
);

--
-- Name: reward_claim_marks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_claim_marks (
    mark_id bigint NOT NULL,
    reward_id uuid NOT NULL,
    code_id bigint NOT NULL
);

--
-- Name: reward_claim_marks_mark_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.reward_claim_marks ALTER COLUMN mark_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reward_claim_marks_mark_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: reward_points_conditions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_points_conditions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    reward_id uuid NOT NULL,
    tier_id uuid,
    user_type text,
    persona_id uuid,
    tag_ids uuid[],
    points_required bigint NOT NULL,
    priority integer DEFAULT 100 NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT reward_points_conditions_points_required_check CHECK ((points_required >= 0)),
    CONSTRAINT reward_points_conditions_user_type_check CHECK ((user_type = ANY (ARRAY['buyer'::text, 'seller'::text])))
);

--
-- Name: reward_promo_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_promo_code (
    id bigint NOT NULL,
    merchant_id uuid NOT NULL,
    reward_id uuid NOT NULL,
    promo_code text NOT NULL,
    lot text,
    partner text,
    expires_at timestamp with time zone,
    status text DEFAULT 'available'::text NOT NULL,
    redeemed_at timestamp with time zone,
    ledger_id uuid,
    import_batch_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT reward_promo_code_check CHECK (((status = 'redeemed'::text) = (ledger_id IS NOT NULL))),
    CONSTRAINT reward_promo_code_status_check CHECK ((status = ANY (ARRAY['available'::text, 'redeemed'::text, 'voided'::text])))
);

--
-- Name: reward_promo_code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.reward_promo_code ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reward_promo_code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: reward_redemptions_ledger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_redemptions_ledger (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    code text NOT NULL,
    merchant_id uuid NOT NULL,
    user_id uuid,
    reward_id uuid,
    event_id text NOT NULL,
    qty integer NOT NULL,
    promo_code text,
    promo_code_id bigint,
    points_deducted bigint DEFAULT 0 NOT NULL,
    success boolean NOT NULL,
    error_code text,
    error_message text,
    mode text NOT NULL,
    source_type text NOT NULL,
    source_id text,
    actor text,
    reason text,
    redeemed_at timestamp with time zone DEFAULT now() NOT NULL,
    use_expire_date timestamp with time zone,
    fulfilment text,
    fulfilment_status text,
    used_at timestamp with time zone,
    used_by text,
    used_note text,
    cancelled_at timestamp with time zone,
    cancelled_by text,
    cancel_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reward_redemptions_ledger_check CHECK ((success = (error_code IS NULL))),
    CONSTRAINT reward_redemptions_ledger_check1 CHECK (((NOT success) OR ((qty >= 1) AND (qty <= 1000)))),
    CONSTRAINT reward_redemptions_ledger_check2 CHECK ((success OR ((points_deducted = 0) AND (promo_code_id IS NULL)))),
    CONSTRAINT reward_redemptions_ledger_points_deducted_check CHECK ((points_deducted >= 0))
);

--
-- Name: reward_stock_usage; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reward_stock_usage (
    reward_id uuid NOT NULL,
    issued bigint DEFAULT 0 NOT NULL,
    CONSTRAINT reward_stock_usage_issued_check CHECK ((issued >= 0))
);

--
-- Name: tags; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tags (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    name text NOT NULL
);

--
-- Name: tiers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tiers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    merchant_id uuid NOT NULL,
    name text NOT NULL,
    rank integer DEFAULT 0 NOT NULL
);

--
-- Name: user_tags; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_tags (
    user_id uuid NOT NULL,
    tag_id uuid NOT NULL
);

--
-- Name: user_wallet; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_wallet (
    user_id uuid NOT NULL,
    merchant_id uuid NOT NULL,
    points_balance bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_wallet_points_balance_check CHECK ((points_balance >= 0))
);

--
-- Name: wallet_ledger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.wallet_ledger (
    id bigint NOT NULL,
    merchant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    direction text NOT NULL,
    component text DEFAULT 'points'::text NOT NULL,
    amount bigint NOT NULL,
    signed_amount bigint NOT NULL,
    balance_before bigint NOT NULL,
    balance_after bigint NOT NULL,
    source_type text NOT NULL,
    source_id text NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT wallet_ledger_amount_check CHECK ((amount > 0)),
    CONSTRAINT wallet_ledger_balance_after_check CHECK ((balance_after >= 0)),
    CONSTRAINT wallet_ledger_check CHECK ((signed_amount =
CASE direction
    WHEN 'earn'::text THEN amount
    ELSE (- amount)
END)),
    CONSTRAINT wallet_ledger_check1 CHECK ((balance_after = (balance_before + signed_amount))),
    CONSTRAINT wallet_ledger_direction_check CHECK ((direction = ANY (ARRAY['earn'::text, 'burn'::text])))
);

--
-- Name: wallet_ledger_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.wallet_ledger ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.wallet_ledger_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

--
-- Name: code_import_batches code_import_batches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_import_batches
    ADD CONSTRAINT code_import_batches_pkey PRIMARY KEY (id);

--
-- Name: grant_batches grant_batches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grant_batches
    ADD CONSTRAINT grant_batches_pkey PRIMARY KEY (id);

--
-- Name: ledger_listeners ledger_listeners_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_listeners
    ADD CONSTRAINT ledger_listeners_pkey PRIMARY KEY (id);

--
-- Name: limit_usage limit_usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.limit_usage
    ADD CONSTRAINT limit_usage_pkey PRIMARY KEY (limit_id, window_start);

--
-- Name: merchants merchants_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.merchants
    ADD CONSTRAINT merchants_pkey PRIMARY KEY (id);

--
-- Name: personas personas_merchant_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personas
    ADD CONSTRAINT personas_merchant_id_name_key UNIQUE (merchant_id, name);

--
-- Name: personas personas_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personas
    ADD CONSTRAINT personas_pkey PRIMARY KEY (id);

--
-- Name: pool_counts pool_counts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pool_counts
    ADD CONSTRAINT pool_counts_pkey PRIMARY KEY (reward_id);

--
-- Name: redeemctl_migrations redeemctl_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redeemctl_migrations
    ADD CONSTRAINT redeemctl_migrations_pkey PRIMARY KEY (id);

--
-- Name: redemption_requests redemption_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redemption_requests
    ADD CONSTRAINT redemption_requests_pkey PRIMARY KEY (merchant_id, event_id);

--
-- Name: reward_claim_floor reward_claim_floor_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_claim_floor
    ADD CONSTRAINT reward_claim_floor_pkey PRIMARY KEY (reward_id);

--
-- Name: reward_claim_marks reward_claim_marks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_claim_marks
    ADD CONSTRAINT reward_claim_marks_pkey PRIMARY KEY (mark_id);

--
-- Name: reward_master reward_master_merchant_id_reward_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_master
    ADD CONSTRAINT reward_master_merchant_id_reward_code_key UNIQUE (merchant_id, reward_code);

--
-- Name: reward_master reward_master_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_master
    ADD CONSTRAINT reward_master_pkey PRIMARY KEY (id);

--
-- Name: reward_points_conditions reward_points_conditions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_points_conditions
    ADD CONSTRAINT reward_points_conditions_pkey PRIMARY KEY (id);

--
-- Name: reward_promo_code reward_promo_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_promo_code
    ADD CONSTRAINT reward_promo_code_pkey PRIMARY KEY (id);

--
-- Name: reward_redemptions_ledger reward_redemptions_ledger_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_redemptions_ledger
    ADD CONSTRAINT reward_redemptions_ledger_code_key UNIQUE (code);

--
-- Name: reward_redemptions_ledger reward_redemptions_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_redemptions_ledger
    ADD CONSTRAINT reward_redemptions_ledger_pkey PRIMARY KEY (id);

--
-- Name: reward_stock_usage reward_stock_usage_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_stock_usage
    ADD CONSTRAINT reward_stock_usage_pkey PRIMARY KEY (reward_id);

--
-- Name: tags tags_merchant_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_merchant_id_name_key UNIQUE (merchant_id, name);

--
-- Name: tags tags_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_pkey PRIMARY KEY (id);

--
-- Name: tiers tiers_merchant_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tiers
    ADD CONSTRAINT tiers_merchant_id_name_key UNIQUE (merchant_id, name);

--
-- Name: tiers tiers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tiers
    ADD CONSTRAINT tiers_pkey PRIMARY KEY (id);

--
-- Name: transaction_limits transaction_limits_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transaction_limits
    ADD CONSTRAINT transaction_limits_pkey PRIMARY KEY (id);

--
-- Name: user_accounts user_accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_accounts
    ADD CONSTRAINT user_accounts_pkey PRIMARY KEY (id);

--
-- Name: user_tags user_tags_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_tags
    ADD CONSTRAINT user_tags_pkey PRIMARY KEY (user_id, tag_id);

--
-- Name: user_wallet user_wallet_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallet
    ADD CONSTRAINT user_wallet_pkey PRIMARY KEY (user_id);

--
-- Name: wallet_ledger wallet_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_ledger
    ADD CONSTRAINT wallet_ledger_pkey PRIMARY KEY (id);

--
-- Name: wallet_ledger wallet_ledger_source_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_ledger
    ADD CONSTRAINT wallet_ledger_source_key UNIQUE (merchant_id, source_type, source_id);

--
-- Name: audit_log_merchant_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_merchant_time ON public.audit_log USING btree (merchant_id, created_at);

--
-- Name: code_import_batches_merchant_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_import_batches_merchant_time ON public.code_import_batches USING btree (merchant_id, created_at);

--
-- Name: grant_batches_merchant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX grant_batches_merchant ON public.grant_batches USING btree (merchant_id, started_at DESC);

--
-- Name: ledger_batch; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_batch ON public.reward_redemptions_ledger USING btree (source_id) WHERE (source_type = 'batch'::text);

--
-- Name: ledger_event; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_event ON public.reward_redemptions_ledger USING btree (event_id);

--
-- Name: ledger_merchant_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_merchant_time ON public.reward_redemptions_ledger USING btree (merchant_id, created_at);

--
-- Name: ledger_user_reward; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_user_reward ON public.reward_redemptions_ledger USING btree (user_id, reward_id, redeemed_at) WHERE success;

--
-- Name: redemption_requests_batch; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX redemption_requests_batch ON public.redemption_requests USING btree (merchant_id, source_id) WHERE (source_type = 'batch'::text);

--
-- Name: redemption_requests_failed; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX redemption_requests_failed ON public.redemption_requests USING btree (merchant_id, created_at) WHERE (status = 'failed'::text);

--
-- Name: redemption_requests_merchant_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX redemption_requests_merchant_time ON public.redemption_requests USING btree (merchant_id, created_at);

--
-- Name: reward_claim_marks_reward; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_claim_marks_reward ON public.reward_claim_marks USING btree (reward_id, code_id);

--
-- Name: reward_points_conditions_reward; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_points_conditions_reward ON public.reward_points_conditions USING btree (reward_id) WHERE active;

--
-- Name: reward_promo_code_claim; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_promo_code_claim ON public.reward_promo_code USING btree (reward_id, id) WHERE ((status = 'available'::text) AND (retired_at IS NULL));

--
-- Name: reward_promo_code_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_promo_code_expiry ON public.reward_promo_code USING btree (reward_id, expires_at) WHERE ((status = 'available'::text) AND (expires_at IS NOT NULL));

--
-- Name: reward_promo_code_stats; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_promo_code_stats ON public.reward_promo_code USING btree (reward_id, status, lot);

--
-- Name: reward_promo_code_sweep; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reward_promo_code_sweep ON public.reward_promo_code USING btree (expires_at) WHERE ((status = 'available'::text) AND (retired_at IS NULL) AND (expires_at IS NOT NULL));

--
-- Name: reward_promo_code_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX reward_promo_code_unique ON public.reward_promo_code USING btree (merchant_id, promo_code);

--
-- Name: transaction_limits_reward; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transaction_limits_reward ON public.transaction_limits USING btree (reward_id) WHERE active;

--
-- Name: user_accounts_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX user_accounts_email_key ON public.user_accounts USING btree (merchant_id, lower(email)) WHERE (email IS NOT NULL);

--
-- Name: user_accounts_tel_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX user_accounts_tel_key ON public.user_accounts USING btree (merchant_id, tel) WHERE (tel IS NOT NULL);

--
-- Name: wallet_ledger_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX wallet_ledger_user ON public.wallet_ledger USING btree (user_id, created_at);

--
-- Name: merchants merchants_recount_limits; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER merchants_recount_limits AFTER UPDATE OF time_zone ON public.merchants FOR EACH ROW WHEN ((old.time_zone IS DISTINCT FROM new.time_zone)) EXECUTE FUNCTION public.rd_merchant_zone_changes();

--
-- Name: reward_master reward_master_recount_stock; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_master_recount_stock AFTER UPDATE OF stock_total, assign_promocode ON public.reward_master FOR EACH ROW WHEN (((old.stock_total IS DISTINCT FROM new.stock_total) OR (old.assign_promocode IS DISTINCT FROM new.assign_promocode))) EXECUTE FUNCTION public.rd_stock_counts_changes();

--
-- Name: reward_promo_code reward_promo_code_claim_marks_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_promo_code_claim_marks_insert AFTER INSERT ON public.reward_promo_code REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.rd_claim_marks_on_insert();

--
-- Name: reward_promo_code reward_promo_code_claim_marks_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_promo_code_claim_marks_update AFTER UPDATE ON public.reward_promo_code FOR EACH ROW WHEN (((new.status = 'available'::text) AND (new.retired_at IS NULL) AND ((old.status <> 'available'::text) OR (old.retired_at IS NOT NULL) OR (old.expires_at IS DISTINCT FROM new.expires_at) OR (old.reward_id <> new.reward_id)))) EXECUTE FUNCTION public.rd_claim_mark_row();

--
-- Name: reward_promo_code reward_promo_code_counts_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_promo_code_counts_delete AFTER DELETE ON public.reward_promo_code REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.rd_pool_count_changes();

--
-- Name: reward_promo_code reward_promo_code_counts_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_promo_code_counts_insert AFTER INSERT ON public.reward_promo_code REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.rd_pool_count_changes();

--
-- Name: reward_promo_code reward_promo_code_counts_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reward_promo_code_counts_update AFTER UPDATE ON public.reward_promo_code REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.rd_pool_count_changes();

--
-- Name: transaction_limits transaction_limits_recount; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER transaction_limits_recount AFTER INSERT OR UPDATE OF active, scope, time_unit, reward_id, max_count ON public.transaction_limits FOR EACH ROW WHEN ((new.active AND (new.scope = 'total'::text))) EXECUTE FUNCTION public.rd_limit_counts_changes();

--
-- Name: code_import_batches code_import_batches_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_import_batches
    ADD CONSTRAINT code_import_batches_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: code_import_batches code_import_batches_reward_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_import_batches
    ADD CONSTRAINT code_import_batches_reward_id_fkey FOREIGN KEY (reward_id) REFERENCES public.reward_master(id);

--
-- Name: grant_batches grant_batches_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grant_batches
    ADD CONSTRAINT grant_batches_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: limit_usage limit_usage_limit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.limit_usage
    ADD CONSTRAINT limit_usage_limit_id_fkey FOREIGN KEY (limit_id) REFERENCES public.transaction_limits(id) ON DELETE CASCADE;

--
-- Name: personas personas_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personas
    ADD CONSTRAINT personas_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: pool_counts pool_counts_reward_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pool_counts
    ADD CONSTRAINT pool_counts_reward_id_fkey FOREIGN KEY (reward_id) REFERENCES public.reward_master(id) ON DELETE CASCADE;

--
-- Name: reward_master reward_master_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_master
    ADD CONSTRAINT reward_master_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: reward_points_conditions reward_points_conditions_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_points_conditions
    ADD CONSTRAINT reward_points_conditions_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: reward_points_conditions reward_points_conditions_persona_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_points_conditions
    ADD CONSTRAINT reward_points_conditions_persona_id_fkey FOREIGN KEY (persona_id) REFERENCES public.personas(id);

--
-- Name: reward_points_conditions reward_points_conditions_reward_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_points_conditions
    ADD CONSTRAINT reward_points_conditions_reward_id_fkey FOREIGN KEY (reward_id) REFERENCES public.reward_master(id) ON DELETE CASCADE;

--
-- Name: reward_points_conditions reward_points_conditions_tier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_points_conditions
    ADD CONSTRAINT reward_points_conditions_tier_id_fkey FOREIGN KEY (tier_id) REFERENCES public.tiers(id);

--
-- Name: reward_stock_usage reward_stock_usage_reward_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reward_stock_usage
    ADD CONSTRAINT reward_stock_usage_reward_id_fkey FOREIGN KEY (reward_id) REFERENCES public.reward_master(id) ON DELETE CASCADE;

--
-- Name: tags tags_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: tiers tiers_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tiers
    ADD CONSTRAINT tiers_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: transaction_limits transaction_limits_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transaction_limits
    ADD CONSTRAINT transaction_limits_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: transaction_limits transaction_limits_reward_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transaction_limits
    ADD CONSTRAINT transaction_limits_reward_id_fkey FOREIGN KEY (reward_id) REFERENCES public.reward_master(id) ON DELETE CASCADE;

--
-- Name: user_accounts user_accounts_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_accounts
    ADD CONSTRAINT user_accounts_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: user_accounts user_accounts_persona_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_accounts
    ADD CONSTRAINT user_accounts_persona_id_fkey FOREIGN KEY (persona_id) REFERENCES public.personas(id);

--
-- Name: user_accounts user_accounts_tier_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_accounts
    ADD CONSTRAINT user_accounts_tier_id_fkey FOREIGN KEY (tier_id) REFERENCES public.tiers(id);

--
-- Name: user_tags user_tags_tag_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_tags
    ADD CONSTRAINT user_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES public.tags(id) ON DELETE CASCADE;

--
-- Name: user_tags user_tags_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_tags
    ADD CONSTRAINT user_tags_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_accounts(id) ON DELETE CASCADE;

--
-- Name: user_wallet user_wallet_merchant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallet
    ADD CONSTRAINT user_wallet_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES public.merchants(id);

--
-- Name: user_wallet user_wallet_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallet
    ADD CONSTRAINT user_wallet_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_accounts(id);

--
-- Name: wallet_ledger wallet_ledger_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_ledger
    ADD CONSTRAINT wallet_ledger_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_accounts(id);

--
-- PostgreSQL database dump complete
--
