-- quote_reward names the refusal redeem_reward_with_points would give for the quoted quantity
-- (`would_fail`: error_code and message, null when it would succeed), so `quote` can show the
-- engine's own verdict instead of re-deriving it. The rest of the result is unchanged.

create or replace function quote_reward(p_reward_id uuid, p_user_id uuid, p_merchant_id uuid, p_quantity int default 1)
returns jsonb
language plpgsql stable as $$
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
  select coalesce(max(points_balance), 0) into v_balance from user_wallet where user_id = p_user_id;
  select points, condition_id into v_unit, v_condition from rd_unit_price(v_reward, v_user);
  v_dimension := rd_ineligible_dimension(v_reward, v_user);

  if not v_user.active then
    v_blocker := 'USER_INACTIVE'; v_message := 'User account is inactive';
  elsif not v_reward.active then
    v_blocker := 'REWARD_INACTIVE'; v_message := 'Reward is inactive';
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
  for v_limit in select * from transaction_limits where reward_id = v_reward.id and active order by scope, time_unit loop
    v_used := rd_limit_used(v_limit, p_user_id, v_tz);
    v_remaining := greatest(v_limit.max_count - v_used, 0);
    v_limits := v_limits || jsonb_build_object('scope', v_limit.scope, 'unit', v_limit.time_unit,
      'limit', v_limit.max_count, 'used', v_used, 'remaining', v_remaining);
    if v_remaining < v_max then v_max := v_remaining; v_binding := 'limit_' || v_limit.scope; end if;
  end loop;

  -- What redeem_reward_with_points would answer for this quantity: its first refusal, in its
  -- order and with its wording (sql/0003_redeem.sql): the quantity, the member and reward, the
  -- rules, limits, stock, codes, the price, points. Change the two together.
  if p_quantity is null or p_quantity < 1 or p_quantity > 1000 then
    v_fail := jsonb_build_object('error_code', 'INVALID_QUANTITY', 'message', 'Quantity must be a whole number between 1 and 1000');
  elsif v_blocker is not null and v_blocker <> 'NO_POINTS_CONFIG' then
    v_fail := jsonb_build_object('error_code', v_blocker, 'message', v_message);
  else
    select array_agg(l order by l.scope, l.time_unit) into v_limit_arr
    from transaction_limits l where l.reward_id = v_reward.id and l.active;
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
    elsif v_balance < v_unit * p_quantity then
      v_fail := jsonb_build_object('error_code', 'INSUFFICIENT_POINTS', 'message',
        format('Insufficient points. Required: %s, Available: %s', v_unit * p_quantity, v_balance));
    end if;
  end if;

  if v_blocker is not null then
    v_max := 0; v_binding := lower(v_blocker);
  end if;
  return jsonb_build_object(
    'eligible', v_blocker is null, 'error_code', v_blocker, 'message', v_message,
    'dimension', v_dimension, 'points_per_unit', v_unit, 'condition_id', v_condition,
    'quantity', p_quantity, 'total_points', v_unit * p_quantity, 'balance', v_balance,
    'max_quantity', v_max, 'binding', v_binding, 'codes_available', v_codes,
    'stock_remaining', case when v_reward.stock_total is not null then greatest(v_reward.stock_total - coalesce(v_issued, 0), 0) end,
    'limits', v_limits,
    'would_succeed', v_fail is null,
    'would_fail', v_fail);
end $$;
