-- Limit and stock history (issue 9, defect 1; docs/engine.md, "Limits and stock: what counts").
--
-- A total limit's counter (limit_usage, one row per limit and window) and a stock counter
-- (reward_stock_usage.issued) are kept by redeem_reward_with_points (+qty) and cancel_redemptions
-- (-qty), but only while the limit is active or the stock is set. A counter therefore started at
-- 0 when a limit was created, reactivated or given another window, or when a stock was set, and
-- ignored the live units already redeemed: 10 live units, a total limit of 12, and 12 more were
-- accepted (cancels then decremented units the counter had never counted, drifting it further).
--
-- The rule now: a total limit counts the live units (success, not cancelled) of its reward
-- redeemed in its current window, and a stock counts every live unit of its reward, whenever the
-- limit or stock was set. So these triggers recount a counter from the ledger whenever it starts
-- to be kept, or its window moves:
--   - transaction_limits: a total limit inserted active, reactivated, made total, moved to another
--     reward, or given another time_unit: its current window's row is recounted;
--   - merchants: a new time_zone moves every calendar window: the merchant's active total limits
--     (not all_time) are recounted;
--   - reward_master: stock_total set or changed (or assign_promocode turned off, since pool rewards
--     keep no stock counter): reward_stock_usage is recounted; stock_total removed (or the reward
--     turned into a pool reward): the counter, no longer kept, is deleted rather than left stale.
-- From then on the counter is exact, so cancel_redemptions needs no change: it decrements the row
-- of the cancelled row's window only for active total limits, and every live row of a current
-- window is counted there (old windows' rows are never read again; a deactivated limit is
-- recounted when reactivated).
--
-- Concurrency: each recount first locks the counter row (select … for update), which waits for
-- any redemption or cancel that holds it to commit, then sums the ledger in a new statement (a new
-- snapshot under read committed, so the units they wrote are seen), then writes the row in one
-- statement. Redemptions arriving after wait for the lock and add on top. A limit created or a
-- stock first set while a redemption that has already read the reward's settings is in flight
-- cannot count that redemption (it never took the counter): a sub-second window at configuration
-- time, closed by the next recount.
-- No counter row is written for a window with no live units (none existed before either).
-- A merchant whose time zone PostgreSQL does not know has no windows: the recount is skipped, as
-- every limited redemption is refused INVALID_TIME_ZONE until the zone is fixed, which recounts.

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
  v_start := rd_window_start(l.time_unit, tz);
  -- Lock first, then count in the next statement: see the header.
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
    return null;  -- the counter was kept all along, in the same window
  end if;
  perform rd_recount_limit(new, (select time_zone from merchants where id = new.merchant_id));
  return null;
end $$;

create trigger transaction_limits_recount
  after insert or update of active, scope, time_unit, reward_id on transaction_limits
  for each row when (new.active and new.scope = 'total')
  execute function rd_limit_counts_changes();

create or replace function rd_merchant_zone_changes() returns trigger
language plpgsql volatile as $$
declare
  l transaction_limits;
begin
  for l in select * from transaction_limits
           where merchant_id = new.id and active and scope = 'total' and time_unit <> 'all_time'
           order by id loop
    perform rd_recount_limit(l, new.time_zone);
  end loop;
  return null;
end $$;

create trigger merchants_recount_limits
  after update of time_zone on merchants
  for each row when (old.time_zone is distinct from new.time_zone)
  execute function rd_merchant_zone_changes();

create or replace function rd_stock_counts_changes() returns trigger
language plpgsql volatile as $$
declare
  v_exists boolean;
  v_live   bigint;
begin
  if new.stock_total is null or new.assign_promocode then
    delete from reward_stock_usage where reward_id = new.id;
    return null;
  end if;
  -- Lock first, then count in the next statement: see the header.
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

create trigger reward_master_recount_stock
  after update of stock_total, assign_promocode on reward_master
  for each row when (old.stock_total is distinct from new.stock_total
                     or old.assign_promocode is distinct from new.assign_promocode)
  execute function rd_stock_counts_changes();
