-- Issue 9: event ids per merchant (defect 3), and a reward's settings changed while one of its
-- redemptions is in flight (found by the randomised model test, tests/engine/model.test.ts).
-- docs/engine.md ("Idempotency", "Concurrency and lock order") describes the rules.
--
-- 1. Event ids are per merchant. A request is known by (merchant_id, event_id): merchant B reusing
--    an id merchant A used is B's own new request, no longer IDEMPOTENCY_CONFLICT (which told B
--    that another tenant had used it). The same holds for the wallet ledger's source ids (a grant
--    batch of one merchant never shadows another's) and for record_invalid_event. The advisory
--    lock of a request is keyed by both (rd_event_key).
--
-- 2. The reward settings lock. A redemption read stock_total and the reward's limits once, at its
--    start, then took the counters at its end: a stock lowered or a limit added in between did not
--    bind it (over-issue), and a counter a change started (sql/0016_limit_history.sql) could not
--    count it. Now a redemption holds a shared advisory lock on its reward (rd_reward_settings_key)
--    from before it reads the settings until it commits, and every change that starts or moves a
--    counter takes the same lock exclusively before recounting (the stock and limit triggers, a
--    merchant's new time zone), as does rd_lock_reward_settings, for a tool that reads the live
--    units before deciding a setting. Redemptions share the lock, so they never wait on each
--    other for it; a change waits for the redemptions in flight, and those that come after wait
--    for the change to commit, then read it. A total limit's max_count changed now takes the lock
--    too, so a lowered limit binds every calc request that commits after it.
--
-- 3. The pool claim and the shortage count are functions of their own (rd_claim_codes,
--    rd_available_codes), so the claim can be tuned without restating the redemption.

alter table redemption_requests drop constraint redemption_requests_pkey;
alter table redemption_requests add primary key (merchant_id, event_id);
alter table wallet_ledger drop constraint wallet_ledger_source_type_source_id_key;
alter table wallet_ledger add constraint wallet_ledger_source_key unique (merchant_id, source_type, source_id);

-- The advisory lock key of one merchant's event id (the same seed as before: 7206).
create function rd_event_key(p_merchant_id uuid, p_event_id text) returns bigint
language sql immutable as $$
  select hashtextextended(p_merchant_id::text || '/' || p_event_id, 7206)
$$;

-- The advisory lock key of one reward's settings (a seed of its own: 7207).
create function rd_reward_settings_key(p_reward_id uuid) returns bigint
language sql immutable as $$
  select hashtextextended(p_reward_id::text, 7207)
$$;

-- Waits for the reward's redemptions in flight and holds off new ones until this transaction
-- ends. Take it before reading the live units a setting is decided from.
create function rd_lock_reward_settings(p_reward_id uuid) returns void
language sql volatile as $$
  select pg_advisory_xact_lock(rd_reward_settings_key(p_reward_id))
$$;

-- The oldest N available, unexpired codes of a pool, skipping those other requests hold.
create function rd_claim_codes(p_reward_id uuid, p_quantity int, out code_ids bigint[], out codes text[])
language plpgsql volatile as $$
begin
  select array_agg(c.id order by c.id), array_agg(c.promo_code order by c.id) into code_ids, codes
  from (select id, promo_code from reward_promo_code
        where reward_id = p_reward_id and status = 'available' and (expires_at is null or expires_at > now())
        order by id limit p_quantity
        for update skip locked) c;
end $$;

-- How many codes a pool could give, counted up to p_limit only (the shortage path).
create function rd_available_codes(p_reward_id uuid, p_limit int) returns int
language sql stable as $$
  select count(*)::int
  from (select 1 from reward_promo_code
        where reward_id = p_reward_id and status = 'available' and (expires_at is null or expires_at > now())
        limit p_limit) c
$$;

create or replace function rd_earn_points(p_merchant_id uuid, p_user_id uuid, p_amount bigint,
                                          p_source_type text, p_source_id text, p_note text default null)
returns bigint
language plpgsql volatile as $$
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

create or replace function record_invalid_event(p_event_id text, p_merchant_id uuid, p_user_id uuid,
                                                p_reward_id uuid, p_quantity int, p_reason text)
returns jsonb
language plpgsql volatile as $$
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

-- The counter triggers of sql/0016_limit_history.sql, each taking the reward settings lock first.
create or replace function rd_recount_limit(l transaction_limits, tz text) returns void
language plpgsql volatile as $$
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

create or replace function rd_limit_counts_changes() returns trigger
language plpgsql volatile as $$
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

drop trigger transaction_limits_recount on transaction_limits;
create trigger transaction_limits_recount
  after insert or update of active, scope, time_unit, reward_id, max_count on transaction_limits
  for each row when (new.active and new.scope = 'total')
  execute function rd_limit_counts_changes();

create or replace function rd_merchant_zone_changes() returns trigger
language plpgsql volatile as $$
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

create or replace function rd_stock_counts_changes() returns trigger
language plpgsql volatile as $$
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

create or replace function redeem_reward_with_points(
  p_reward_id        uuid,
  p_quantity         int,
  p_user_id          uuid,
  p_merchant_id      uuid,
  p_mode             text default 'calc',
  p_event_id         text default null,
  p_source_type      text default 'api',
  p_source_id        text default null,
  p_actor            text default null,
  p_reason           text default null,
  p_event_timestamp  timestamptz default null,
  p_replay_of        text default null
) returns jsonb
language plpgsql volatile as $$
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
