-- `codes import` (docs/codes.md): an import batch keeps the whole report's counts, so
-- `codes batches` can say what each file did without re-reading it.
-- rows_read counts the data rows of the file (blank lines aside); imported + duplicates_in_file +
-- duplicates_in_pool + invalid = rows_read, except that an all-or-nothing import that found
-- invalid rows writes no batch at all.
-- src/codes/insertPool.ts writes these columns and src/codes/batches.ts reads them: change them together.

alter table code_import_batches
  add column duplicates_in_file bigint not null default 0,
  add column duplicates_in_pool bigint not null default 0,
  add column invalid            bigint not null default 0;

-- `codes batches` lists a merchant's batches newest first; the re-import message finds the batch
-- that first brought a code in by id, so no other index is needed on this small table.
create index code_import_batches_merchant_time on code_import_batches (merchant_id, created_at);

-- No index on reward_promo_code (import_batch_id): `codes void --batch` walks the reward's available
-- codes through reward_promo_code_claim instead. Every index on this table is paid by every import
-- and every redemption (the 1,000,000-code import benchmark, docs/codes.md).
