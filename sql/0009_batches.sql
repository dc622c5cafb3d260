-- Bulk grants (`redeemctl batch run`, docs/batch.md). The grants themselves are ordinary
-- redemption requests and ledger rows with source_type 'batch' and source_id = the batch id;
-- this table only records each batch's file, who ran it and why, and the rows the engine never
-- saw (invalid, or naming an unknown member or reward), so `batch status` can count every row.
-- src/batch/batchRecord.ts and src/batch/status.ts read and write it: change them together.

create table grant_batches (
  -- b-<16 hex> derived from the merchant and the file's sha256, or the operator's --batch-id.
  -- Row event ids are '<id>:<line>' (unique across the database), so the id is unique too.
  id              text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  merchant_id     uuid not null references merchants(id),
  file_name       text not null,
  file_sha256     text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
  rows_total      int not null check (rows_total >= 0),
  rows_invalid    int not null default 0 check (rows_invalid >= 0),
  rows_unknown    int not null default 0 check (rows_unknown >= 0),
  mode            text not null check (mode in ('calc', 'direct')),
  all_or_nothing  boolean not null default false,
  actor           text not null check (btrim(actor) <> ''),
  reason          text not null check (btrim(reason) <> ''),
  -- running until a run reaches the end of the file; a run killed part-way leaves it running,
  -- and running the same file again resumes it. stopped: an all-or-nothing run met a refusal.
  status          text not null default 'running' check (status in ('running', 'completed', 'stopped')),
  runs            int not null default 1,
  started_at      timestamptz not null default now(),
  finished_at     timestamptz
);
create index grant_batches_merchant on grant_batches (merchant_id, started_at desc);
