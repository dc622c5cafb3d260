-- Issue 12, the hot path: plan each statement of a redemption once per connection, not once per
-- request. Found with `perf` on the server during a pool run (docs/engine.md, "What a
-- redemption costs PostgreSQL"): 15 % of PostgreSQL's CPU was the planner.
--
-- 1. rd_claim_floor was a SQL function whose body holds two sub-selects, so PostgreSQL could not
--    inline it, and a SQL function called from PL/pgSQL is parsed and planned again in every
--    transaction (its cache lives as long as the calling expression's state, one transaction).
--    As PL/pgSQL its one statement is planned once per connection and kept.
-- 2. The pool write (the ledger insert from unnest(code ids) joined to the code update) was
--    planned afresh for every request: its generic plan, priced for an array of unknown length,
--    costs more than the custom plans priced for 1 to 3 codes, so the plan cache kept choosing a
--    custom plan and paid the planner each time. Every statement of a redemption has one right
--    plan whatever the values (primary-key lookups, the claim index scan that
--    tests/engine/claimCost.test.ts checks as a generic plan, inserts), so the function asks for
--    generic plans; the setting holds for the functions it calls and ends with the call.
create or replace function rd_claim_floor(p_reward_id uuid) returns bigint
language plpgsql stable as $$
begin
  return least(coalesce((select floor_id from reward_claim_floor where reward_id = p_reward_id), 0),
               (select min(code_id) from reward_claim_marks where reward_id = p_reward_id));
end $$;

alter function redeem_reward_with_points(uuid, int, uuid, uuid, text, text, text, text, text, text, timestamptz, text)
  set plan_cache_mode = force_generic_plan;
