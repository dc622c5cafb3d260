-- Cancel lock order and chunks (issue 9, defect 5; docs/engine.md, "Concurrency and lock order"
-- and "Cancel"). Replaces cancel_redemptions of 0015_cancel_edges.sql.
--
-- Before: the cancel walked its rows one by one in user order, and for each row updated the
-- member's wallet, then the reward's stock and total-limit counters. After the first row it held
-- the hot counters while it went on to lock the next members' wallets, whereas a redemption locks
-- its member's wallet first and the counters last: a redemption holding member B's wallet and
-- waiting for the stock counter, and the cancel holding that counter and waiting for B's wallet,
-- deadlocked (40P01). And every redemption of the reward waited on the counter for the whole
-- cancel (1.85 s for a 3,000-row batch).
--
-- Now, one lock order everywhere (the redemption's), and the shared counters held for one short
-- statement each, at the very end of the transaction:
--   1. the rows to cancel (this call's chunk), FOR UPDATE, in (user_id, promo_code_id nulls first,
--      id) order, so two overlapping cancels take them in the same order; nothing else but
--      set_redemption_used (one row) locks a ledger row;
--   2. the settings lock of each of the rows' rewards, shared, in reward order, as a redemption
--      holds it (sql/0017_events_per_merchant_and_settings_lock.sql): a stock or limit change,
--      which takes it exclusively before recounting a counter, waits for the chunk, so its recount
--      never counts the chunk's rows as live after the chunk has cancelled them;
--   3. the members' wallets, all of them, ascending user_id, before any shared counter; then one
--      update per wallet with the member's summed refund, and one refund entry per row as before
--      (invariant 2b);
--   4. the rows' pool codes (redeemed codes, held through their ledger rows: no one else waits on
--      them), in one statement;
--   5. last, each shared counter once, with the summed decrement of the chunk, one statement per
--      counter: stock counters by reward id, then total-limit counters by reward, scope,
--      time_unit, limit id and window (the order redeem takes a reward's stock, then its limits).
-- What needs no shared lock (marking the rows cancelled, the audit row, the notification, whether
-- rows remain) is done before the wallets, so a member's wallet is held for the refund and what
-- follows it only.
--
-- Chunks: p_limit (default null: every row) caps the live rows one call cancels; the result says
-- whether live rows remain ('more'). Each call is its own transaction when called alone, so a
-- caller cancels a large selection in bounded transactions by calling again while 'more' is true
-- (src/engine/cancelAndUse.ts does, 500 rows at a time). A cancel interrupted between chunks is
-- resumed by running it again: cancelled rows are skipped. A dry run previews every row, whatever
-- p_limit, and locks nothing.
-- The refusals look at the whole selection first (REDEMPTION_NOT_FOUND, NOT_REDEEMED,
-- ALREADY_CANCELLED, ALREADY_USED), so a used row anywhere refuses before the first chunk; the
-- chunk's own rows are checked again once locked (a row marked used in between refuses that chunk,
-- and earlier chunks stay cancelled).
-- already_cancelled now counts the selection's successful rows already cancelled; it counted its
-- failure rows too.
-- A total limit with a calendar window of a merchant whose time zone PostgreSQL does not know is
-- not decremented (it raised before): it is recounted when the zone is fixed (0016).

drop function if exists cancel_redemptions(uuid, text, text, text, text, text, boolean, boolean);

create function cancel_redemptions(
  p_merchant_id uuid,
  p_by          text,
  p_value       text,
  p_actor       text,
  p_reason      text,
  p_codes       text default 'release',
  p_force_used  boolean default false,
  p_dry_run     boolean default false,
  p_limit       int default null
) returns jsonb
language plpgsql volatile as $$
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

-- The shared reward settings lock of sql/0017 (rd_reward_settings_key) on every reward of the rows,
-- in reward order, as a redemption holds it on its one reward.
create or replace function rd_cancel_lock_settings(p_ids uuid[]) returns void
language plpgsql volatile as $$
declare
  v_reward uuid;
begin
  for v_reward in select distinct reward_id from reward_redemptions_ledger
                  where id = any (p_ids) and reward_id is not null order by reward_id loop
    perform pg_advisory_xact_lock_shared(rd_reward_settings_key(v_reward));
  end loop;
end $$;

-- Nothing live left in the selection: a success, changing nothing.
create or replace function rd_cancel_nothing_left(p_done int) returns jsonb
language sql immutable as $$
  select jsonb_build_object('success', true, 'error_code', null, 'info_code', 'ALREADY_CANCELLED',
    'message', 'Already cancelled; nothing changed', 'cancelled', 0, 'already_cancelled', p_done,
    'points_refunded', 0, 'more', false, 'rows', '[]'::jsonb)
$$;

create or replace function rd_cancel_used_refusal(p_used jsonb) returns jsonb
language sql immutable as $$
  select jsonb_build_object('success', false, 'error_code', 'ALREADY_USED',
    'message', format('%s redemption(s) already used; cancel with force to refund them anyway (their codes are voided, never released)', jsonb_array_length(p_used)),
    'used_codes', p_used, 'cancelled', 0)
$$;

-- The refunds of cancelled rows (already marked cancelled, locked by the caller): every member's
-- wallet locked first, in user_id order, then one update per wallet with the member's sum, and one
-- 'redemption_cancellation' entry per row (invariant 2b), its balances running in row order.
create or replace function rd_cancel_refund(p_merchant_id uuid, p_ids uuid[], p_note text) returns void
language plpgsql volatile as $$
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

-- Free the shared counters the cancelled rows took (user-scope limits read the ledger, so they free
-- themselves once cancelled_at is set): each counter once with the rows' sum, in one order, stock
-- counters by reward, then total-limit counters by reward, scope, time_unit, limit and window.
create or replace function rd_cancel_counters(p_merchant_id uuid, p_ids uuid[]) returns void
language plpgsql volatile as $$
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
