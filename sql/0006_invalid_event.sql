-- A Kafka message the worker cannot read but which names an event id and a merchant: record the
-- failure (INVALID_EVENT) so GET /redemptions/<event_id> and the member app learn the outcome, and
-- a redelivery changes nothing. The message itself goes to the dead-letter topic.
create function record_invalid_event(p_event_id text, p_merchant_id uuid, p_user_id uuid,
                                     p_reward_id uuid, p_quantity int, p_reason text) returns jsonb
language plpgsql volatile as $$
declare
  v_req   redemption_requests;
  v_prior redemption_requests;
begin
  perform pg_advisory_xact_lock(hashtextextended(p_event_id, 7206));
  select * into v_prior from redemption_requests where event_id = p_event_id;
  if found then
    return v_prior.result || jsonb_build_object('idempotent', true);
  end if;
  -- row() follows the column order of redemption_requests (0001_schema.sql).
  v_req := row(p_event_id, p_merchant_id, p_user_id, p_reward_id, p_quantity, 'calc', 'kafka', null,
      null, null, null, 'processing', null, null, null, clock_timestamp(), null, 0, null)::redemption_requests;
  return rd_refuse(v_req, 'INVALID_EVENT', format('Unreadable event: %s', p_reason));
end $$;
