import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import type { Schema } from '../src/db/schema.js';
import { migrate } from '../src/db/migrations.js';
import { seed } from '../src/demo/seed.js';
import { cancel, CANCEL_CHUNK_ROWS } from '../src/engine/cancelAndUse.js';
import { redeem } from '../src/engine/redeem.js';
import { envInt } from './envInt.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import { round } from './workload.js';

// `npm run bench -- cancel` (issue 9, defect 5; docs/benchmarks.md): what a 3,000-row batch cancel
// does to live redemptions of the reward it cancels. Redemptions of one hot reward (a stock and a
// total limit: two shared counters every redemption and every cancel updates) run at a steady
// rate, open loop: request i is due at start + i/rate and its latency runs from then, so a stall
// counts against every request it delays. Half come from members outside the batch, half from
// members whose rows the cancel refunds (their wallets are locked by the chunk that refunds them).
//
// Phases, in one run on one scratch database: the redemptions alone (the baseline), then the same
// while `cancel()` cancels batch 1 in chunks of 500, then while one unchunked call of
// cancel_redemptions cancels batch 2 (one transaction, for comparison). For each: p50 / p99 / max
// latency of the redemptions due while the cancel ran, and the longest time one spent inside
// redeem_reward_with_points (redemption_requests.processing_ms: lock waits included).
// Settings: CANCEL_BENCH_ROWS (3000), CANCEL_BENCH_RATE (redemptions/s, 100), CANCEL_BENCH_SECONDS
// (baseline length, 5). No VACUUM or ANALYZE: the tables are as the workload leaves them.

const DB_NAME = 'redeemctl_bench_cancel';
const PRICE = 10;

interface World {
  url: string;
  merchantId: string;
  hot: string;
  batchMembers: string[];
  outsiders: string[];
}

interface Sample {
  dueMs: number;
  latencyMs: number;
  eventId: string;
  batchMember: boolean;
  ok: boolean;
}

interface Latency {
  requests: number;
  refused: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** The longest time one redemption spent inside the engine function, lock waits included. */
  max_in_engine_ms: number;
}

export async function measureCancel(log: (line: string) => void): Promise<object> {
  const rows = envInt(process.env, 'CANCEL_BENCH_ROWS', 3_000);
  const rate = envInt(process.env, 'CANCEL_BENCH_RATE', 100);
  const baselineSeconds = envInt(process.env, 'CANCEL_BENCH_SECONDS', 5);
  const url = await recreateDatabase(DB_NAME);
  const database = await openDatabase({ url, poolSize: 24 });
  try {
    await migrate(database);
    const db = database.db;
    const world = await seedWorld(db, url, rows);
    log(`granting 2 batches of ${rows} rows over ${world.batchMembers.length} members…`);
    await grantBatch(db, world, 'bench-batch-1', rows);
    await grantBatch(db, world, 'bench-batch-2', rows);

    log(`warm-up: ${rate} redemptions/s for 2 s (not counted)`);
    await paced(db, world, rate, 'warm', async () => {
      await sleep(1_000);
      return null;
    });
    log(`baseline: ${rate} redemptions/s for ${baselineSeconds} s, no cancel`);
    const baseline = await paced(db, world, rate, 'base', async () => {
      await sleep(baselineSeconds * 1000);
      return null;
    });

    log(`cancel of batch 1 (${rows} rows) in chunks of ${CANCEL_CHUNK_ROWS}, redemptions at ${rate}/s`);
    const chunked = await paced(db, world, rate, 'chunked', async () => {
      const result = await cancel(db, { merchantId: world.merchantId, by: 'batch', value: 'bench-batch-1', actor: 'bench', reason: 'bench' });
      if (!result.success || result.cancelled !== rows) throw new Error(`chunked cancel: ${result.message}`);
      return { chunks: result.chunks ?? 0 };
    });

    log(`cancel of batch 2 (${rows} rows) in one transaction, redemptions at ${rate}/s`);
    const whole = await paced(db, world, rate, 'whole', async () => {
      const { rows: [r] } = await sql<{ cancelled: number }>`
        select (cancel_redemptions(${world.merchantId}::uuid, 'batch', 'bench-batch-2', 'bench', 'bench') ->> 'cancelled')::int as cancelled`.execute(db);
      if (r!.cancelled !== rows) throw new Error(`unchunked cancel cancelled ${r!.cancelled}`);
      return { chunks: 1 };
    });

    const base = await summarise(db, baseline.samples);
    const during = await phaseReport(db, chunked);
    return {
      bench: 'cancel',
      rows,
      chunk_rows: CANCEL_CHUNK_ROWS,
      rate_per_s: rate,
      baseline: { ...base, longest_redemption_lock_wait: baseline.waits },
      during_chunked_cancel: during,
      during_unchunked_cancel: await phaseReport(db, whole),
      p99_ratio: round(during.all.p99_ms / base.p99_ms),
      // The longest lock wait of a redemption while the chunked cancel ran, against the baseline's,
      // and the longest behind the cancel itself (a batch member's wallet held by a chunk, or a counter).
      longest_wait_ms: during.longest_redemption_lock_wait.max_ms,
      baseline_longest_wait_ms: baseline.waits.max_ms,
      longest_wait_behind_cancel_ms: during.longest_redemption_lock_wait.max_behind_cancel_ms,
      goal: 'no redemption blocked more than a few ms by a cancel: longest_wait_ms close to baseline_longest_wait_ms',
    };
  } finally {
    await database.close();
    await dropDatabase(DB_NAME);
  }
}

async function seedWorld(db: Kysely<Schema>, url: string, rows: number): Promise<World> {
  // 10 batch rows per member, as many members outside the batch.
  const members = Math.max(1, Math.ceil(rows / 10));
  const summary = await seed(db, {
    merchant: { name: 'Cancel Bench' },
    users: [
      ...Array.from({ length: members }, (_, i) => ({ email: `batch${i}@bench.test`, points: 100_000_000 })),
      ...Array.from({ length: members }, (_, i) => ({ email: `other${i}@bench.test`, points: 100_000_000 })),
    ],
    rewards: [
      { reward_code: 'HOT', name: 'Hot', fallback_points: PRICE, stock_total: 100_000_000,
        limits: [{ scope: 'total', max: 100_000_000, unit: 'all_time' }] },
    ],
  });
  return {
    url,
    merchantId: summary.merchantId,
    hot: summary.rewardIds.HOT!,
    batchMembers: Array.from({ length: members }, (_, i) => summary.userIds[`batch${i}@bench.test`]!),
    outsiders: Array.from({ length: members }, (_, i) => summary.userIds[`other${i}@bench.test`]!),
  };
}

/** `rows` rows of the hot reward under one batch id, through the engine, 500 per statement. */
async function grantBatch(db: Kysely<Schema>, world: World, batchId: string, rows: number): Promise<void> {
  for (let from = 0; from < rows; from += 500) {
    const to = Math.min(rows, from + 500) - 1;
    await sql`
      select redeem_reward_with_points(p_reward_id => ${world.hot}::uuid, p_quantity => 1,
               p_user_id => (${world.batchMembers}::uuid[])[1 + g % ${world.batchMembers.length}],
               p_merchant_id => ${world.merchantId}::uuid, p_event_id => ${batchId} || ':' || g,
               p_source_type => 'batch', p_source_id => ${batchId})
      from generate_series(${from}::int, ${to}::int) g`.execute(db);
  }
}

interface Phase {
  samples: Sample[];
  startMs: number;
  endMs: number;
  chunks: number;
  waits: LockWait;
}

/** The longest lock wait of a redemption seen while the phase ran, and what it waited on. */
interface LockWait {
  max_ms: number;
  locktype: string | null;
  relation: string | null;
  /** Whether the longest wait was behind the cancel (else behind other redemptions). */
  behind_cancel: boolean;
  /** The longest wait behind the cancel itself. */
  max_behind_cancel_ms: number;
  /** The longest wait per table waited on (a row lock: user_wallet, reward_stock_usage, limit_usage…). */
  by_relation: Record<string, number>;
  /** How many times a redemption was seen waiting (one sample every ~5 ms). */
  seen: number;
}

/**
 * Polls pg_locks (waitstart, PostgreSQL 14+) for redemptions waiting on a lock, on a connection
 * of its own, until stopped: the longest wait observed (to within the ~5 ms poll), and on what.
 */
class LockWaitSampler {
  private readonly client: pg.Client;
  private running = true;
  private result: LockWait = { max_ms: 0, locktype: null, relation: null, behind_cancel: false, max_behind_cancel_ms: 0, by_relation: {}, seen: 0 };
  private loop: Promise<void> = Promise.resolve();

  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url, application_name: 'redeemctl-bench-locks' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.loop = (async () => {
      while (this.running) {
        const { rows } = await this.client.query<{ ms: number; locktype: string; relation: string | null; behind_cancel: boolean }>(
          // A row lock wait is on the holder's transaction id; the tuple lock the waiter holds names the table.
          `select extract(epoch from clock_timestamp() - l.waitstart) * 1000 as ms, l.locktype,
                  coalesce(l.relation::regclass::text, (select t.relation::regclass::text from pg_locks t
                    where t.pid = l.pid and t.locktype = 'tuple' and t.granted limit 1)) as relation,
                  exists (select 1 from pg_stat_activity b
                          where b.pid = any (pg_blocking_pids(l.pid)) and b.query like '%cancel_redemptions%') as behind_cancel
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where not l.granted and l.waitstart is not null and a.datname = current_database()
             and a.query like '%redeem_reward_with_points%'`,
        );
        for (const r of rows) {
          this.result.seen += 1;
          if (r.behind_cancel) this.result.max_behind_cancel_ms = Math.max(this.result.max_behind_cancel_ms, round(r.ms));
          const table = r.relation ?? r.locktype;
          this.result.by_relation[table] = Math.max(this.result.by_relation[table] ?? 0, round(r.ms));
          if (r.ms > this.result.max_ms) {
            this.result = { ...this.result, max_ms: round(r.ms), locktype: r.locktype, relation: r.relation, behind_cancel: r.behind_cancel };
          }
        }
        await sleep(5);
      }
    })();
  }

  async stop(): Promise<LockWait> {
    this.running = false;
    await this.loop;
    await this.client.end();
    return this.result;
  }
}

/**
 * Redemptions at `rate` per second: 0.5 s alone, then while `work` runs, then 0.5 s more. Every
 * other request is a batch member's. Returns every sample and when `work` started and ended.
 */
async function paced(db: Kysely<Schema>, world: World, rate: number, tag: string,
  work: () => Promise<{ chunks: number } | null>): Promise<Phase> {
  const sampler = new LockWaitSampler(world.url);
  await sampler.start();
  const samples: Sample[] = [];
  const inFlight: Array<Promise<void>> = [];
  const t0 = performance.now();
  let stopAt = Infinity;
  let startMs = 0;
  let endMs = 0;
  let chunks = 0;
  const working = (async () => {
    await sleep(500);
    startMs = performance.now() - t0;
    chunks = (await work())?.chunks ?? 0;
    endMs = performance.now() - t0;
    stopAt = endMs + 500;
  })();
  for (let i = 0; ; i++) {
    const dueMs = (i * 1000) / rate;
    if (dueMs > stopAt) break;
    const wait = t0 + dueMs - performance.now();
    if (wait > 0) await sleep(wait);
    const batchMember = i % 2 === 1;
    const members = batchMember ? world.batchMembers : world.outsiders;
    const eventId = `${tag}-${i}`;
    inFlight.push(
      redeem(db, { merchantId: world.merchantId, userId: members[(i >> 1) % members.length]!, rewardId: world.hot, quantity: 1, eventId })
        .then((r) => {
          samples.push({ dueMs, latencyMs: performance.now() - t0 - dueMs, eventId, batchMember, ok: r.success });
        }),
    );
  }
  await working;
  await Promise.all(inFlight);
  return { samples, startMs, endMs, chunks, waits: await sampler.stop() };
}

async function phaseReport(db: Kysely<Schema>, phase: Phase) {
  const during = phase.samples.filter((s) => s.dueMs >= phase.startMs && s.dueMs <= phase.endMs);
  return {
    cancel_ms: round(phase.endMs - phase.startMs),
    chunks: phase.chunks,
    longest_redemption_lock_wait: phase.waits,
    all: await summarise(db, during),
    outside_batch: await summarise(db, during.filter((s) => !s.batchMember)),
    batch_members: await summarise(db, during.filter((s) => s.batchMember)),
  };
}

async function summarise(db: Kysely<Schema>, samples: Sample[]): Promise<Latency> {
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? NaN : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!));
  const { rows } = await sql<{ ms: number | null }>`
    select max(processing_ms)::float8 as ms from redemption_requests where event_id = any (${samples.map((s) => s.eventId)}::text[])`.execute(db);
  return {
    requests: samples.length,
    refused: samples.filter((s) => !s.ok).length,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: sorted.length === 0 ? NaN : round(sorted[sorted.length - 1]!),
    max_in_engine_ms: round(Number(rows[0]?.ms ?? NaN)),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
