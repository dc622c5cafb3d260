import { z } from 'zod';

// A fixture names things by their human keys (tier names, reward codes, emails); seeding turns
// them into rows with ids derived from the merchant and the key, so seeding twice changes nothing.

const name = z.string().min(1).max(100);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const isoTime = z.iso.datetime({ offset: true });

export const userFixture = z
  .object({
    email: z.email().optional(),
    tel: z.string().regex(/^\+?[0-9]{6,15}$/).optional(),
    tier: name.optional(),
    user_type: z.enum(['buyer', 'seller']).default('buyer'),
    persona: name.optional(),
    tags: z.array(name).default([]),
    birth_date: isoDate.optional(),
    active: z.boolean().default(true),
    points: z.number().int().min(0).default(0),
  })
  .refine((u) => u.email || u.tel, 'a member needs an email or a tel');

export const conditionFixture = z.object({
  tier: name.optional(),
  user_type: z.enum(['buyer', 'seller']).optional(),
  persona: name.optional(),
  tags: z.array(name).optional(),
  points: z.number().int().min(0),
  priority: z.number().int().default(100),
});

export const limitFixture = z.object({
  scope: z.enum(['user', 'total']),
  max: z.number().int().min(0),
  unit: z.enum(['day', 'week', 'month', 'year', 'all_time']),
});

export const rewardFixture = z.object({
  reward_code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  name,
  active: z.boolean().default(true),
  allowed_tiers: z.array(name).optional(),
  allowed_personas: z.array(name).optional(),
  allowed_tags: z.array(name).optional(),
  allowed_birth_months: z.array(z.number().int().min(1).max(12)).optional(),
  redeem_window_start: isoTime.optional(),
  redeem_window_end: isoTime.optional(),
  pricing: z.array(conditionFixture).default([]),
  fallback_points: z.number().int().min(0).optional(),
  require_points_match: z.boolean().default(false),
  stock_total: z.number().int().min(0).optional(),
  assign_promocode: z.boolean().default(false),
  default_promo_code: z.string().min(1).optional(),
  use_expire_mode: z.enum(['relative_days', 'relative_mins', 'absolute_date']).optional(),
  use_expire_ttl: z.number().int().positive().optional(),
  use_expire_date: isoTime.optional(),
  fulfilment: z.enum(['digital', 'shipping', 'pickup', 'printed']).default('digital'),
  limits: z.array(limitFixture).default([]),
  /** Pool codes: a list, or a number to generate as <reward_code>-0001… */
  codes: z.union([z.array(z.string().min(1)), z.object({ generate: z.number().int().min(0).max(1_000_000), prefix: z.string().optional() })]).optional(),
});

export const fixtureSchema = z.object({
  merchant: z.object({ name, time_zone: z.string().default('UTC') }),
  tiers: z.array(name).default([]),
  personas: z.array(name).default([]),
  tags: z.array(name).default([]),
  users: z.array(userFixture).default([]),
  rewards: z.array(rewardFixture).default([]),
});

export type Fixture = z.infer<typeof fixtureSchema>;
export type FixtureInput = z.input<typeof fixtureSchema>;
export type RewardFixture = z.infer<typeof rewardFixture>;
