-- After a redemption: cancel (refund, release or void the code, free stock and limit usage) and
-- mark used / unmark used. Both select ledger rows the same way (rd_select_rows) and always in
-- this merchant only. src/engine/types.ts (CancelResult, UseResult) mirrors these results.

-- The ledger rows a selector names: a redemption id, a redemption code (RWD…), an event id, or a
-- batch id (rows written by `batch run`, source_type 'batch').
create function rd_select_rows(p_merchant_id uuid, p_by text, p_value text) returns setof uuid
language plpgsql stable as $$
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
end $$;

create function cancel_redemptions(
  p_merchant_id uuid,
  p_by          text,
  p_value       text,
  p_actor       text,
  p_reason      text,
  p_codes       text default 'release',
  p_force_used  boolean default false,
  p_dry_run     boolean default false
) returns jsonb
language plpgsql volatile as $$
declare
  v_ids       uuid[];
  v_row       reward_redemptions_ledger;
  v_reward    reward_master;
  v_limit     transaction_limits;
  v_tz        text;
  v_after     bigint;
  v_total     int := 0;
  v_live      int := 0;
  v_used      jsonb := '[]'::jsonb;
  v_rows      jsonb := '[]'::jsonb;
  v_refunded  bigint := 0;
  v_codes_n   int := 0;
begin
  if nullif(btrim(p_actor), '') is null or nullif(btrim(p_reason), '') is null then
    raise exception 'cancelling needs an actor and a reason' using errcode = 'RD002';
  end if;
  if p_codes not in ('release', 'void') then
    raise exception 'codes must be release or void, not %', p_codes using errcode = 'RD001';
  end if;

  -- Lock in id order, so two overlapping cancels cannot deadlock.
  select array_agg(l.id order by l.id) into v_ids
  from (select id from reward_redemptions_ledger
        where id in (select rd_select_rows(p_merchant_id, p_by, p_value))
        order by id for update) l;
  v_total := coalesce(cardinality(v_ids), 0);
  if v_total = 0 then
    return jsonb_build_object('success', false, 'error_code', 'REDEMPTION_NOT_FOUND',
      'message', format('No redemption found for %s %s', p_by, p_value), 'cancelled', 0);
  end if;

  select count(*) filter (where success and cancelled_at is null),
         coalesce(jsonb_agg(code) filter (where success and cancelled_at is null and used_at is not null), '[]')
    into v_live, v_used
  from reward_redemptions_ledger where id = any (v_ids);
  if not exists (select 1 from reward_redemptions_ledger where id = any (v_ids) and success) then
    return jsonb_build_object('success', false, 'error_code', 'NOT_REDEEMED',
      'message', 'The request failed, so nothing was redeemed and there is nothing to cancel', 'cancelled', 0);
  end if;
  if v_live = 0 then
    return jsonb_build_object('success', true, 'error_code', null, 'info_code', 'ALREADY_CANCELLED',
      'message', 'Already cancelled; nothing changed', 'cancelled', 0, 'already_cancelled', v_total,
      'points_refunded', 0, 'rows', '[]'::jsonb);
  end if;
  if jsonb_array_length(v_used) > 0 and not p_force_used then
    return jsonb_build_object('success', false, 'error_code', 'ALREADY_USED',
      'message', format('%s redemption(s) already used; cancel with force to refund them anyway', jsonb_array_length(v_used)),
      'used_codes', v_used, 'cancelled', 0);
  end if;

  select time_zone into v_tz from merchants where id = p_merchant_id;
  for v_row in select * from reward_redemptions_ledger
               where id = any (v_ids) and success and cancelled_at is null
               order by user_id, promo_code_id nulls first, id loop
    v_rows := v_rows || jsonb_build_object('redemption_id', v_row.id, 'redemption_code', v_row.code,
      'user_id', v_row.user_id, 'promo_code', v_row.promo_code, 'qty', v_row.qty,
      'points_refunded', v_row.points_deducted, 'was_used', v_row.used_at is not null);
    v_refunded := v_refunded + v_row.points_deducted;
    if v_row.promo_code_id is not null then v_codes_n := v_codes_n + 1; end if;
    continue when p_dry_run;

    update reward_redemptions_ledger
       set cancelled_at = now(), cancelled_by = p_actor, cancel_reason = p_reason
     where id = v_row.id;
    if v_row.points_deducted > 0 then
      update user_wallet set points_balance = points_balance + v_row.points_deducted, updated_at = now()
       where user_id = v_row.user_id
      returning points_balance into v_after;
      insert into wallet_ledger (merchant_id, user_id, direction, amount, signed_amount, balance_before,
                                 balance_after, source_type, source_id, note)
      values (p_merchant_id, v_row.user_id, 'earn', v_row.points_deducted, v_row.points_deducted,
              v_after - v_row.points_deducted, v_after, 'redemption_cancellation', v_row.id::text, p_reason);
    end if;
    if v_row.promo_code_id is not null then
      update reward_promo_code
         set status = case when p_codes = 'release' then 'available' else 'voided' end,
             ledger_id = null, redeemed_at = null
       where id = v_row.promo_code_id;
    end if;
    -- Free the shared counters this row took (user-scope limits read the ledger, so they free
    -- themselves once cancelled_at is set).
    select * into v_reward from reward_master where id = v_row.reward_id;
    if not v_reward.assign_promocode and v_reward.stock_total is not null then
      update reward_stock_usage set issued = greatest(issued - v_row.qty, 0) where reward_id = v_reward.id;
    end if;
    for v_limit in select * from transaction_limits where reward_id = v_reward.id and active and scope = 'total' loop
      update limit_usage set used = greatest(used - v_row.qty, 0)
       where limit_id = v_limit.id and window_start = rd_window_start(v_limit.time_unit, v_tz, v_row.redeemed_at);
    end loop;
  end loop;

  if not p_dry_run then
    insert into audit_log (merchant_id, actor, action, target_type, target_id, reason, details)
    values (p_merchant_id, p_actor, 'cancel', p_by, p_value, p_reason,
            jsonb_build_object('rows', jsonb_array_length(v_rows), 'points_refunded', v_refunded,
                               'codes', p_codes, 'force_used', p_force_used));
    perform pg_notify('redeemctl_ledger', json_build_object('kind', 'cancel', 'merchant_id', p_merchant_id,
      'by', p_by, 'value', p_value, 'rows', jsonb_array_length(v_rows))::text);
  end if;
  return jsonb_build_object('success', true, 'error_code', null, 'dry_run', p_dry_run,
    'message', format('%s %s redemption(s), refunding %s points%s', case when p_dry_run then 'Would cancel' else 'Cancelled' end,
                      jsonb_array_length(v_rows), v_refunded,
                      case when v_codes_n > 0 then format(', %s code(s) %s', v_codes_n, case when p_codes = 'release' then 'released' else 'voided' end) else '' end),
    'cancelled', case when p_dry_run then 0 else jsonb_array_length(v_rows) end,
    'already_cancelled', v_total - v_live, 'points_refunded', v_refunded,
    'codes', p_codes, 'codes_affected', v_codes_n, 'rows', v_rows);
end $$;

-- Mark a redemption used (p_used true) or take the mark back (false).
create function set_redemption_used(p_merchant_id uuid, p_by text, p_value text, p_used boolean,
                                     p_actor text, p_note text default null) returns jsonb
language plpgsql volatile as $$
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
