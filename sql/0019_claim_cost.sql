-- The claim's cost does not grow with the pool's history (issue 9, defect 7; docs/engine.md,
-- "Nothing on the hot path grows with history or pool size" and "The claim floor and the expiry
-- sweep"). Replaces rd_claim_codes and rd_available_codes of 0017_events_per_merchant_and_settings_lock.sql.
--
-- Before, three things made a claim pay for history:
--   a. The plan flipped. With `reward_id = $1 ... order by id`, the primary key gives the order too,
--      and with statistics taken while the pool was fresh (or none at all) the planner chose it and
--      filtered every redeemed code from the heap (700 codes redeemed: 1,406 buffers per claim).
--   b. Dead index entries. A claimed code's old version stays in reward_promo_code_claim until
--      VACUUM, and every claim walked all of them from the start of the pool: 500,000 codes
--      redeemed in one statement, 2,466 buffers per claim (11,587 for the first, which also visits
--      the heap for each), with or without fresh statistics.
--   c. Expired codes. An available code past expires_at is a live entry of the claim index, so
--      every claim visited each one ahead of it in the heap, forever (200,000 of them ahead of 10
--      fresh codes: 200,000 rows removed by the filter, 3,848 buffers, every claim).
--
-- Now:
--   1. The claim's query has one cheap plan. It bounds the reward by a row comparison,
--      `(reward_id, id) >= (R, floor) and reward_id <= R`, and orders by (reward_id, id): no
--      equality on reward_id, so no other index (the primary key included) yields that order, and
--      every alternative needs a sort of the pool, which the functions also price out
--      (`set enable_sort = off`). Verified on a never-analysed table and on stale statistics.
--   2. The claim floor (reward_claim_floor): per reward, an id below which no code is claimable.
--      A claim starts its index scan there, so it never walks the redeemed, voided, retired or
--      expired codes behind it, dead or alive. Every 32 ids or so (and on a shortage) a claim
--      moves the floor up to the first claimable code (rd_advance_claim_floor). It never waits
--      for it: the floor row is taken with SKIP LOCKED, and whoever cannot take it leaves the
--      floor as it is.
--      A code that becomes claimable again below the floor (a cancel releasing it; a new code;
--      an expiry moved) writes a mark (reward_claim_marks, an insert: no lock, no wait); claims
--      start at the lowest of the floor and the marks, and the next advance folds the marks it
--      has seen into the floor. So the floor is never above a claimable code, and a released
--      code is drawn first again, as before (oldest first).
--   3. Retired codes: the expiry sweep (rd_sweep_expired_codes, run by the worker every minute)
--      sets retired_at on available codes past expires_at, which takes them out of the claim
--      index (its predicate is now `status = 'available' and retired_at is null`). The status
--      stays 'available': an expired code is, as everywhere before, an available code past its
--      expires_at (codes stats, export, pool health, pool_counts), so no reader changes.

alter table reward_promo_code add column retired_at timestamptz;

drop index reward_promo_code_claim;
create index reward_promo_code_claim on reward_promo_code (reward_id, id) where status = 'available' and retired_at is null;
-- The sweep's work list: expiring codes not yet retired, soonest first.
create index reward_promo_code_sweep on reward_promo_code (expires_at)
  where status = 'available' and retired_at is null and expires_at is not null;

create table reward_claim_floor (
  reward_id uuid primary key,
  floor_id  bigint not null default 0,
  -- Bumped by every move, so an advance computed from an older read cannot overwrite a newer one.
  version   bigint not null default 0
);

create table reward_claim_marks (
  mark_id  bigint generated always as identity primary key,
  reward_id uuid not null,
  code_id  bigint not null
);
create index reward_claim_marks_reward on reward_claim_marks (reward_id, code_id);

insert into reward_claim_floor (reward_id) select id from reward_master;

-- Where a claim of the reward starts: no code below it is claimable.
create function rd_claim_floor(p_reward_id uuid) returns bigint
language sql stable as $$
  select least(coalesce((select floor_id from reward_claim_floor where reward_id = p_reward_id), 0),
               (select min(code_id) from reward_claim_marks where reward_id = p_reward_id))
$$;

-- Moves the reward's floor to its first claimable code, folding in the marks; returns the floor,
-- or null when another transaction holds the floor row or moved it meanwhile (it is a hint for
-- speed only: leaving it lower is always safe).
create function rd_advance_claim_floor(p_reward_id uuid) returns bigint
language plpgsql volatile set enable_sort = off as $$
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

-- The oldest N available, unexpired codes of a pool, skipping those other requests hold: an index
-- scan of reward_promo_code_claim from the reward's floor.
create or replace function rd_claim_codes(p_reward_id uuid, p_quantity int, out code_ids bigint[], out codes text[])
language plpgsql volatile set enable_sort = off as $$
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

-- How many codes a pool could give, counted up to p_limit only (the shortage path), from the floor.
create or replace function rd_available_codes(p_reward_id uuid, p_limit int) returns int
language sql stable set enable_sort = off as $$
  select count(*)::int
  from (select 1 from reward_promo_code
        where (reward_id, id) >= (p_reward_id, coalesce(rd_claim_floor(p_reward_id), 0)) and reward_id <= p_reward_id
          and status = 'available' and retired_at is null and (expires_at is null or expires_at > now())
        order by reward_id, id limit p_limit) c
$$;

-- New codes: make sure the reward has a floor row, and mark the lowest new id of each reward (its
-- ids come from the sequence, but an insert that took them before a claim found the pool empty
-- commits after it).
create function rd_claim_marks_on_insert() returns trigger
language plpgsql as $$
begin
  with lowest as (
    select reward_id, min(id) as code_id from new_rows group by reward_id
  ), floors as (
    insert into reward_claim_floor (reward_id) select reward_id from lowest on conflict (reward_id) do nothing
  )
  insert into reward_claim_marks (reward_id, code_id) select reward_id, code_id from lowest;
  return null;
end $$;

create trigger reward_promo_code_claim_marks_insert after insert on reward_promo_code
  referencing new table as new_rows for each statement execute function rd_claim_marks_on_insert();

-- A code claimable again (a cancel releasing it, an expiry moved or cleared, a retirement undone):
-- a mark, so no claim starts above it. Row by row, but the WHEN clause keeps the redemption's own
-- update (available to redeemed) from calling anything.
create function rd_claim_mark_row() returns trigger
language plpgsql as $$
begin
  insert into reward_claim_marks (reward_id, code_id) values (new.reward_id, new.id);
  return null;
end $$;

create trigger reward_promo_code_claim_marks_update after update on reward_promo_code
  for each row
  when (new.status = 'available' and new.retired_at is null
        and (old.status <> 'available' or old.retired_at is not null
             or old.expires_at is distinct from new.expires_at or old.reward_id <> new.reward_id))
  execute function rd_claim_mark_row();

-- The expiry sweep: retires up to p_limit available codes past their expires_at (soonest expired
-- first), which takes them out of the claim index, then moves the floor of each reward it touched
-- past them, so no claim walks them. Returns how many it retired; call again while it returns
-- p_limit. Codes a redemption holds right now are skipped (the next run takes them if they stay).
create function rd_sweep_expired_codes(p_limit int default 5000) returns int
language plpgsql volatile set enable_sort = off as $$
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
