-- redeem_reward_with_points: the single source of truth for a redemption (docs/domain.md).
-- The engine's types (src/engine/types.ts) mirror its result: change them together.
--
-- Lock order, the same in every function that writes: promo codes (SKIP LOCKED, never waits),
-- the member's wallet row, then the shared counters (stock, merchant-wide limit usage) last, just
-- before the writes, so a hot counter is held for as short a time as possible. The event id's
-- advisory lock comes before all of them.

create function rd_notify_ledger(req redemption_requests, n_rows int, ok boolean) returns void
language plpgsql volatile as $$
begin
  -- Only while someone listens: see ledger_listeners in 0001_schema.sql for why.
  if exists (select 1 from ledger_listeners where expires_at > now()) then
    perform pg_notify('redeemctl_ledger', json_build_object(
      'event_id', req.event_id, 'merchant_id', req.merchant_id, 'user_id', req.user_id,
      'reward_id', req.reward_id, 'success', ok, 'rows', n_rows, 'kind', 'redemption')::text);
  end if;
end $$;

-- A business refusal: one failure row, the request record with its result (so a redelivery
-- returns the same failure), a notification. Nothing else has been written when this runs.
create function rd_refuse(req redemption_requests, p_error_code text, p_message text,
                          p_details jsonb default '{}'::jsonb) returns jsonb
language plpgsql volatile as $$
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

create function redeem_reward_with_points(
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

  -- 1. Idempotency. A transaction-scoped advisory lock on the event id makes a concurrent
  -- duplicate wait until the first commits, then find its record: exactly once, and the record is
  -- written once, at the end, with its result.
  -- row() follows the column order of redemption_requests (0001_schema.sql): change them together.
  v_req := row(coalesce(p_event_id, gen_random_uuid()::text), p_merchant_id, p_user_id, p_reward_id,
      p_quantity, p_mode, coalesce(p_source_type, 'api'), p_source_id, p_actor, p_reason, p_replay_of,
      'processing', null, null, p_event_timestamp, clock_timestamp(), null, 0, null)::redemption_requests;
  perform pg_advisory_xact_lock(hashtextextended(v_req.event_id, 7206));
  select * into v_prior from redemption_requests where event_id = v_req.event_id;
  if found then
    if v_prior.merchant_id is distinct from p_merchant_id or v_prior.user_id is distinct from p_user_id
       or v_prior.reward_id is distinct from p_reward_id or v_prior.quantity is distinct from p_quantity
       or v_prior.mode is distinct from p_mode then
      return jsonb_build_object('success', false, 'error_code', 'IDEMPOTENCY_CONFLICT',
        'message', format('Event %s was already used for a different request', p_event_id),
        'event_id', p_event_id, 'idempotent', false, 'redemptions', '[]'::jsonb,
        'total_quantity', 0, 'total_points_deducted', 0, 'new_balance', null, 'mode', p_mode);
    end if;
    -- Monitoring only (the replay share of `metrics`); the business state is untouched.
    update redemption_requests set redelivery_count = redelivery_count + 1, last_redelivered_at = now()
    where event_id = v_prior.event_id;
    return v_prior.result || jsonb_build_object('idempotent', true);
  end if;

  -- 2. Quantity.
  if p_quantity is null or p_quantity < 1 or p_quantity > 1000 then
    return rd_refuse(v_req, 'INVALID_QUANTITY', 'Quantity must be a whole number between 1 and 1000',
      jsonb_build_object('requested', p_quantity));
  end if;

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
    if not v_reward.assign_promocode and v_reward.stock_total is not null then
      select coalesce(max(issued), 0) into v_issued from reward_stock_usage where reward_id = v_reward.id;
      if v_issued + p_quantity > v_reward.stock_total then
        return rd_refuse(v_req, 'OUT_OF_STOCK',
          format('Out of stock: %s left, you requested %s', greatest(v_reward.stock_total - v_issued, 0), p_quantity),
          jsonb_build_object('available', greatest(v_reward.stock_total - v_issued, 0), 'requested', p_quantity));
      end if;
    end if;
  end if;

  -- 5. Pool: the oldest N available, unexpired codes, skipping those other requests hold.
  if v_reward.assign_promocode then
    select array_agg(c.id order by c.id), array_agg(c.promo_code order by c.id) into v_code_ids, v_codes
    from (select id, promo_code from reward_promo_code
          where reward_id = v_reward.id and status = 'available' and (expires_at is null or expires_at > now())
          order by id limit p_quantity
          for update skip locked) c;
    v_held := coalesce(cardinality(v_code_ids), 0);
    if v_held < p_quantity then
      -- Counted only on this failure path, and never past N: bounded whatever the pool size.
      select count(*) into v_available
      from (select 1 from reward_promo_code
            where reward_id = v_reward.id and status = 'available' and (expires_at is null or expires_at > now())
            limit p_quantity) c;
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
    v_total := v_unit * p_quantity;
    if v_balance < v_total then
      return rd_refuse(v_req, 'INSUFFICIENT_POINTS',
        format('Insufficient points. Required: %s, Available: %s', v_total, v_balance),
        jsonb_build_object('required', v_total, 'available', v_balance, 'shortage', v_total - v_balance,
                           'points_per_unit', v_unit));
    end if;
  end if;

  -- Shared counters, last. calc enforces them; direct and force count their usage without a cap,
  -- so later member requests see it (usage is every live row, whatever its mode).
  if not v_reward.assign_promocode and v_reward.stock_total is not null then
    insert into reward_stock_usage as s (reward_id, issued) values (v_reward.id, p_quantity)
    on conflict (reward_id) do update set issued = s.issued + excluded.issued
      where p_mode <> 'calc' or s.issued + excluded.issued <= v_reward.stock_total
    returning issued into v_issued;
    if not found or (p_mode = 'calc' and v_issued > v_reward.stock_total) then
      select coalesce(max(issued), 0) into v_issued from reward_stock_usage where reward_id = v_reward.id;
      return rd_refuse(v_req, 'OUT_OF_STOCK',
        format('Out of stock: %s left, you requested %s', greatest(v_reward.stock_total - v_issued, 0), p_quantity),
        jsonb_build_object('available', greatest(v_reward.stock_total - v_issued, 0), 'requested', p_quantity));
    end if;
  end if;
  foreach v_limit in array coalesce(v_limits, '{}') loop
    continue when v_limit.scope <> 'total';
    v_start := rd_window_start(v_limit.time_unit, v_tz);
    insert into limit_usage as u (limit_id, window_start, used) values (v_limit.id, v_start, p_quantity)
    on conflict (limit_id, window_start) do update set used = u.used + excluded.used
      where p_mode <> 'calc' or u.used + excluded.used <= v_limit.max_count
    returning used into v_issued;
    if not found or (p_mode = 'calc' and v_issued > v_limit.max_count) then
      -- Lost a race for the last units: undo the counters taken above, then refuse.
      raise exception using errcode = 'RD409', message = v_limit.id::text;
    end if;
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
