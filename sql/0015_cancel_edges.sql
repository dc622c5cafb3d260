-- Cancel edges (issue 9): replaces cancel_redemptions of 0005_after_redemption.sql.
--
-- 1. A used code is never released. A row marked used was handed over, so its code has been seen
--    (and perhaps spent at a partner); releasing it on a forced cancel handed it to the next
--    member. Such a code is now voided whatever p_codes says, and the result says so: each row
--    carries `code` ('released' | 'voided' | null without a pool code) and `code_reason` ('used',
--    or 'requested' for p_codes = 'void'), the summary `codes_released` and `codes_voided`, and the
--    message names the used codes voided instead of released. `codes` still echoes what was asked.
-- 2. Notify only while a listener is registered in ledger_listeners, as the redemption path does
--    (rd_notify_ledger in 0003_redeem.sql; docs/engine.md, "Realtime notifications"): every
--    notifying commit is serialised by PostgreSQL, so an unheard notification is pure cost.
-- Everything else (selectors, refusals, refunds, counters, audit) is unchanged.

create or replace function cancel_redemptions(
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
  v_released  int := 0;
  v_voided    int := 0;
  v_used_void int := 0;
  v_code      text;
  v_code_why  text;
  v_notes     text[] := '{}';
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
      'message', format('%s redemption(s) already used; cancel with force to refund them anyway (their codes are voided, never released)', jsonb_array_length(v_used)),
      'used_codes', v_used, 'cancelled', 0);
  end if;

  select time_zone into v_tz from merchants where id = p_merchant_id;
  for v_row in select * from reward_redemptions_ledger
               where id = any (v_ids) and success and cancelled_at is null
               order by user_id, promo_code_id nulls first, id loop
    -- What happens to the row's pool code: a used one has been seen, so it is voided even when
    -- release was asked for (docs/domain.md, "After redemption").
    v_code := null;
    v_code_why := null;
    if v_row.promo_code_id is not null then
      v_codes_n := v_codes_n + 1;
      if v_row.used_at is not null then
        v_code := 'voided';
        v_code_why := 'used';
        v_voided := v_voided + 1;
        if p_codes = 'release' then v_used_void := v_used_void + 1; end if;
      elsif p_codes = 'void' then
        v_code := 'voided';
        v_code_why := 'requested';
        v_voided := v_voided + 1;
      else
        v_code := 'released';
        v_released := v_released + 1;
      end if;
    end if;
    v_rows := v_rows || jsonb_build_object('redemption_id', v_row.id, 'redemption_code', v_row.code,
      'user_id', v_row.user_id, 'promo_code', v_row.promo_code, 'qty', v_row.qty,
      'points_refunded', v_row.points_deducted, 'was_used', v_row.used_at is not null,
      'code', v_code, 'code_reason', v_code_why);
    v_refunded := v_refunded + v_row.points_deducted;
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
    if v_code is not null then
      update reward_promo_code
         set status = case when v_code = 'released' then 'available' else 'voided' end,
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
                               'codes', p_codes, 'force_used', p_force_used,
                               'codes_released', v_released, 'codes_voided', v_voided));
    -- Only while someone listens: see ledger_listeners in 0001_schema.sql for why.
    if exists (select 1 from ledger_listeners where expires_at > now()) then
      perform pg_notify('redeemctl_ledger', json_build_object('kind', 'cancel', 'merchant_id', p_merchant_id,
        'by', p_by, 'value', p_value, 'rows', jsonb_array_length(v_rows))::text);
    end if;
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
    'already_cancelled', v_total - v_live, 'points_refunded', v_refunded,
    'codes', p_codes, 'codes_affected', v_codes_n, 'codes_released', v_released, 'codes_voided', v_voided,
    'rows', v_rows);
end $$;
