-- `codes import` writes up to millions of codes in one INSERT … SELECT. Per-row foreign key checks
-- cost about 8 s per million rows per key on this machine (docs/codes.md), three keys here, while
-- the import already checks once that the reward is a pool reward of the merchant and takes the
-- batch id from the row it has just written. So these keys go; the import path (sql/0008,
-- src/codes/) and the redemption functions are the only writers and keep the references right
-- (rewards and merchants are never deleted).
alter table reward_promo_code drop constraint reward_promo_code_merchant_id_fkey;
alter table reward_promo_code drop constraint reward_promo_code_reward_id_fkey;
alter table reward_promo_code drop constraint reward_promo_code_import_batch_id_fkey;
