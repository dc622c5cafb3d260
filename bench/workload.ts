import type { Kysely } from 'kysely';
import type { Schema } from '../src/db/schema.js';
import { redeem } from '../src/engine/redeem.js';
import type { RedeemRequest } from '../src/engine/types.js';
import type { FixtureInput } from '../src/demo/fixtureSchema.js';
import { seed } from '../src/demo/seed.js';

// The `engine` workload of docs/benchmarks.md: 20,000 requests, 60% quantity 1 and the rest 2..10,
// half on pool rewards, across 2,000 members, from 8 concurrent callers.

export interface WorkloadShape {
  requests: number;
  members: number;
  concurrency: number;
  poolRewards: number;
  plainRewards: number;
  codesPerPool: number;
  seed: number;
}

export const ENGINE_SHAPE: WorkloadShape = {
  requests: 20_000,
  members: 2_000,
  concurrency: 8,
  poolRewards: 10,
  plainRewards: 10,
  codesPerPool: 4_000,
  seed: 42,
};

export interface BenchWorld {
  merchantId: string;
  userIds: string[];
  poolRewardIds: string[];
  plainRewardIds: string[];
}

/** mulberry32: a small seeded generator, so every run plans the same requests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function seedBenchWorld(db: Kysely<Schema>, shape: WorkloadShape, name = 'Bench Merchant'): Promise<BenchWorld> {
  const tiers = ['Bronze', 'Silver', 'Gold'];
  const pricing = [
    { tier: 'Bronze', points: 100 },
    { tier: 'Silver', points: 80 },
    { tier: 'Gold', points: 60 },
    { tags: ['VIP'], points: 30, priority: 200 },
  ];
  const fixture: FixtureInput = {
    merchant: { name },
    tiers,
    tags: ['VIP'],
    users: Array.from({ length: shape.members }, (_, i) => ({
      email: `member${i}@bench.test`,
      tier: tiers[i % 3],
      tags: i % 10 === 0 ? ['VIP'] : [],
      points: 100_000_000,
    })),
    rewards: [
      ...Array.from({ length: shape.poolRewards }, (_, i) => ({
        reward_code: `POOL-${i}`,
        name: `Pool reward ${i}`,
        assign_promocode: true,
        pricing,
        fallback_points: 120,
        codes: { generate: shape.codesPerPool, prefix: `P${i}-` },
      })),
      ...Array.from({ length: shape.plainRewards }, (_, i) => ({
        reward_code: `PLAIN-${i}`,
        name: `Plain reward ${i}`,
        pricing,
        fallback_points: 120,
        default_promo_code: `PLAIN${i}`,
      })),
    ],
  };
  const summary = await seed(db, fixture);
  return {
    merchantId: summary.merchantId,
    userIds: Array.from({ length: shape.members }, (_, i) => summary.userIds[`member${i}@bench.test`]!),
    poolRewardIds: Array.from({ length: shape.poolRewards }, (_, i) => summary.rewardIds[`POOL-${i}`]!),
    plainRewardIds: Array.from({ length: shape.plainRewards }, (_, i) => summary.rewardIds[`PLAIN-${i}`]!),
  };
}

/**
 * Which rewards the requests go to: `mix` alternates pool and plain rewards (the engine workload),
 * `pool` and `plain` are its two halves on their own (the engine benchmark's per-half rates).
 */
export type RequestKinds = 'mix' | 'pool' | 'plain';

export function planRequests(world: BenchWorld, shape: WorkloadShape, runId: string, kinds: RequestKinds = 'mix'): RedeemRequest[] {
  const random = seededRandom(shape.seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const onPool = (i: number) => (kinds === 'mix' ? i % 2 === 0 : kinds === 'pool');
  return Array.from({ length: shape.requests }, (_, i) => ({
    merchantId: world.merchantId,
    userId: pick(world.userIds),
    rewardId: onPool(i) ? pick(world.poolRewardIds) : pick(world.plainRewardIds),
    quantity: random() < 0.6 ? 1 : 2 + Math.floor(random() * 9),
    eventId: `${runId}-${i}`,
    sourceType: 'bench',
  }));
}

export interface WorkloadResult {
  seconds: number;
  requests: number;
  succeeded: number;
  refused: Record<string, number>;
  unitsRedeemed: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/** `concurrency` callers drain one queue; each request's latency is measured end to end. */
export async function runWorkload(db: Kysely<Schema>, requests: RedeemRequest[], concurrency: number): Promise<WorkloadResult> {
  let next = 0;
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let succeeded = 0;
  let units = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const t0 = performance.now();
        const result = await redeem(db, requests[i]!);
        latencies.push(performance.now() - t0);
        if (result.success) {
          succeeded++;
          units += result.total_quantity;
        } else refused[result.error_code!] = (refused[result.error_code!] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return {
    seconds: round(seconds),
    requests: requests.length,
    succeeded,
    refused,
    unitsRedeemed: units,
    latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(latencies[latencies.length - 1]!) },
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
