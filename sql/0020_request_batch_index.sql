-- Issue 12, the hot path: one index entry less per redemption.
--
-- redemption_requests_source (source_type, source_id) took an entry for every request, and the
-- only query that reads requests by source is `batch status` (src/batch/status.ts: source_type
-- 'batch', the merchant, optionally one batch id). A partial index on the batch requests serves
-- it, and the API's and Kafka's requests (nearly all of them) no longer write to it; the ledger
-- has had the same shape since 0009 (ledger_batch). Measured with `npm run bench -- profile`
-- (docs/engine.md, "What a redemption costs PostgreSQL").
drop index if exists redemption_requests_source;
create index redemption_requests_batch on redemption_requests (merchant_id, source_id) where source_type = 'batch';
