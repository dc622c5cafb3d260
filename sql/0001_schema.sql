-- The data model of docs/domain.md. Every table carries merchant_id: tenancy is enforced by
-- filtering on it in every function, never by trusting an id alone.
-- Migrations are never edited once applied; a change is a new numbered file.

create table merchants (
  id          uuid primary key default gen_random_uuid(),
  name        text not null,
  -- Limits are calendar-aligned in this zone (domain.md, "Limits").
  time_zone   text not null default 'UTC',
  created_at  timestamptz not null default now()
);

create table tiers (
  id          uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references merchants(id),
  name        text not null,
  rank        int not null default 0,
  unique (merchant_id, name)
);

create table personas (
  id          uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references merchants(id),
  name        text not null,
  unique (merchant_id, name)
);

create table tags (
  id          uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references merchants(id),
  name        text not null,
  unique (merchant_id, name)
);

create table user_accounts (
  id          uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references merchants(id),
  tier_id     uuid references tiers(id),
  user_type   text not null default 'buyer' check (user_type in ('buyer', 'seller')),
  persona_id  uuid references personas(id),
  birth_date  date,
  email       text,
  tel         text,
  active      boolean not null default true,
  created_at  timestamptz not null default now()
);
create unique index user_accounts_email_key on user_accounts (merchant_id, lower(email)) where email is not null;
create unique index user_accounts_tel_key on user_accounts (merchant_id, tel) where tel is not null;

create table user_tags (
  user_id uuid not null references user_accounts(id) on delete cascade,
  tag_id  uuid not null references tags(id) on delete cascade,
  primary key (user_id, tag_id)
);

create table reward_master (
  id                    uuid primary key default gen_random_uuid(),
  merchant_id           uuid not null references merchants(id),
  reward_code           text not null check (reward_code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  name                  text not null,
  active                boolean not null default true,
  -- Eligibility: an empty or null list means anyone. Tags match any-of.
  allowed_tiers         uuid[],
  allowed_personas      uuid[],
  allowed_tags          uuid[],
  allowed_birth_months  int[] check (allowed_birth_months <@ array[1,2,3,4,5,6,7,8,9,10,11,12]),
  redeem_window_start   timestamptz,
  redeem_window_end     timestamptz,
  -- Pricing: reward_points_conditions first, then these.
  fallback_points       bigint check (fallback_points >= 0),
  require_points_match  boolean not null default false,
  -- Stock only for rewards without a pool (null = unlimited); for pool rewards the pool is the stock.
  stock_total           bigint check (stock_total >= 0),
  assign_promocode      boolean not null default false,
  default_promo_code    text,
  use_expire_mode       text check (use_expire_mode in ('relative_days', 'relative_mins', 'absolute_date')),
  use_expire_ttl        int check (use_expire_ttl > 0),
  use_expire_date       timestamptz,
  fulfilment            text not null default 'digital' check (fulfilment in ('digital', 'shipping', 'pickup', 'printed')),
  created_at            timestamptz not null default now(),
  unique (merchant_id, reward_code),
  check (not (assign_promocode and stock_total is not null)),
  check (use_expire_mode is distinct from 'absolute_date' or use_expire_date is not null),
  check (use_expire_mode not in ('relative_days', 'relative_mins') or use_expire_ttl is not null)
);

create table reward_points_conditions (
  id               uuid primary key default gen_random_uuid(),
  merchant_id      uuid not null references merchants(id),
  reward_id        uuid not null references reward_master(id) on delete cascade,
  tier_id          uuid references tiers(id),
  user_type        text check (user_type in ('buyer', 'seller')),
  persona_id       uuid references personas(id),
  -- A row with tags matches only a member holding all of them.
  tag_ids          uuid[],
  points_required  bigint not null check (points_required >= 0),
  priority         int not null default 100,
  active           boolean not null default true
);
create index reward_points_conditions_reward on reward_points_conditions (reward_id) where active;

create table transaction_limits (
  id          uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references merchants(id),
  reward_id   uuid not null references reward_master(id) on delete cascade,
  scope       text not null check (scope in ('user', 'total')),
  max_count   bigint not null check (max_count >= 0),
  time_unit   text not null check (time_unit in ('day', 'week', 'month', 'year', 'all_time')),
  active      boolean not null default true
);
create index transaction_limits_reward on transaction_limits (reward_id) where active;

-- Shared counters: the accepted exception of domain.md. A merchant-wide limit and the stock of a
-- reward without a pool need one strict count; summing the ledger would grow with history.
-- The redemption function takes these row locks last, just before it writes.
create table reward_stock_usage (
  reward_id   uuid primary key references reward_master(id) on delete cascade,
  issued      bigint not null default 0 check (issued >= 0)
);

create table limit_usage (
  limit_id     uuid not null references transaction_limits(id) on delete cascade,
  window_start timestamptz not null,  -- '-infinity' for all_time
  used         bigint not null default 0 check (used >= 0),
  primary key (limit_id, window_start)
);

create table code_import_batches (
  id           uuid primary key default gen_random_uuid(),
  merchant_id  uuid not null references merchants(id),
  reward_id    uuid not null references reward_master(id),
  file_name    text,
  file_sha256  text,
  lot          text,
  rows_read    bigint not null default 0,
  imported     bigint not null default 0,
  actor        text,
  created_at   timestamptz not null default now(),
  voided_at    timestamptz
);

create table reward_promo_code (
  id               bigint generated always as identity primary key,
  merchant_id      uuid not null references merchants(id),
  reward_id        uuid not null references reward_master(id),
  promo_code       text not null,
  lot              text,
  partner          text,
  expires_at       timestamptz,
  status           text not null default 'available' check (status in ('available', 'redeemed', 'voided')),
  redeemed_at      timestamptz,
  ledger_id        uuid,
  import_batch_id  uuid references code_import_batches(id),
  created_at       timestamptz not null default now(),
  check ((status = 'redeemed') = (ledger_id is not null))
);
create unique index reward_promo_code_unique on reward_promo_code (merchant_id, promo_code);
-- The claim path: the oldest available codes of one reward, read in id order and stopping after N,
-- so claiming costs the same with 100 codes or 10 million. Redeemed and voided codes leave the index.
create index reward_promo_code_claim on reward_promo_code (reward_id, id) where status = 'available';
create index reward_promo_code_stats on reward_promo_code (reward_id, status, lot);

-- One record per event_id: the idempotency key, the request as made and its stored result.
create table redemption_requests (
  event_id          text primary key check (length(event_id) between 1 and 200),
  merchant_id       uuid not null,
  user_id           uuid,
  reward_id         uuid,
  quantity          int,
  mode              text not null check (mode in ('calc', 'direct', 'force')),
  source_type       text not null,
  source_id         text,
  actor             text,
  reason            text,
  replay_of         text,
  status            text not null default 'processing' check (status in ('processing', 'succeeded', 'failed')),
  error_code        text,
  result            jsonb,
  event_timestamp   timestamptz,
  created_at        timestamptz not null default now(),
  processing_ms     double precision,
  redelivery_count  int not null default 0,
  last_redelivered_at timestamptz
);
create index redemption_requests_merchant_time on redemption_requests (merchant_id, created_at);
create index redemption_requests_source on redemption_requests (source_type, source_id);
create index redemption_requests_failed on redemption_requests (merchant_id, created_at) where status = 'failed';

-- The ledger. Member apps read these columns by name in realtime payloads: keep them.
-- user_id and reward_id carry no foreign keys on purpose: a failure row records the request as made
-- (USER_NOT_FOUND included), and no hot parent row is share-locked by every insert.
create table reward_redemptions_ledger (
  id                 uuid primary key default gen_random_uuid(),
  code               text not null unique,
  merchant_id        uuid not null,
  user_id            uuid,
  reward_id          uuid,
  -- The request record is written last, with the result that lists these rows, so no foreign key
  -- here: redeem_reward_with_points writes both in one transaction (invariant 4 checks the pair).
  event_id           text not null,
  qty                int not null,
  promo_code         text,
  promo_code_id      bigint,
  points_deducted    bigint not null default 0 check (points_deducted >= 0),
  success            boolean not null,
  error_code         text,
  error_message      text,
  mode               text not null,
  source_type        text not null,
  source_id          text,
  actor              text,
  reason             text,
  redeemed_at        timestamptz not null default now(),
  use_expire_date    timestamptz,
  fulfilment         text,
  fulfilment_status  text,
  used_at            timestamptz,
  used_by            text,
  used_note          text,
  cancelled_at       timestamptz,
  cancelled_by       text,
  cancel_reason      text,
  created_at         timestamptz not null default now(),
  check (success = (error_code is null)),
  check (not success or qty between 1 and 1000),
  check (success or (points_deducted = 0 and promo_code_id is null))
);
create index ledger_event on reward_redemptions_ledger (event_id);
-- A member's usage of one reward in a window (user-scope limits): bounded by that member's rows.
create index ledger_user_reward on reward_redemptions_ledger (user_id, reward_id, redeemed_at) where success;
create index ledger_merchant_time on reward_redemptions_ledger (merchant_id, created_at);
create index ledger_batch on reward_redemptions_ledger (source_id) where source_type = 'batch';

create table user_wallet (
  user_id         uuid primary key references user_accounts(id),
  merchant_id     uuid not null references merchants(id),
  points_balance  bigint not null default 0 check (points_balance >= 0),
  updated_at      timestamptz not null default now()
);

create table wallet_ledger (
  id              bigint generated always as identity primary key,
  merchant_id     uuid not null,
  user_id         uuid not null references user_accounts(id),
  direction       text not null check (direction in ('earn', 'burn')),
  component       text not null default 'points',
  amount          bigint not null check (amount > 0),
  signed_amount   bigint not null,
  balance_before  bigint not null,
  balance_after   bigint not null check (balance_after >= 0),
  source_type     text not null,
  source_id       text not null,
  note            text,
  created_at      timestamptz not null default now(),
  -- A retried burn or refund cannot apply twice.
  unique (source_type, source_id),
  check (signed_amount = case direction when 'earn' then amount else -amount end),
  check (balance_after = balance_before + signed_amount)
);
create index wallet_ledger_user on wallet_ledger (user_id, created_at);

create table audit_log (
  id           bigint generated always as identity primary key,
  merchant_id  uuid,
  actor        text not null,
  action       text not null,
  target_type  text not null,
  target_id    text,
  reason       text,
  details      jsonb,
  created_at   timestamptz not null default now()
);
create index audit_log_merchant_time on audit_log (merchant_id, created_at);

-- Sessions listening for ledger writes (serve's realtime stream, watch) register here while they
-- listen. A transaction that NOTIFYs holds a database-wide lock through its commit, serialising every
-- notifying commit (measured: 308 against 693 redemptions/s; docs/engine.md, "Realtime"), so the redemption
-- functions notify only while a listener is registered. A listener catches up on rows written just
-- before it registered by reading the ledger once after LISTEN.
create table ledger_listeners (
  id          uuid primary key,
  merchant_id uuid,
  expires_at  timestamptz not null
);
