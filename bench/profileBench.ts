import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate } from '../src/db/migrations.js';
import { openDatabase } from '../src/db/database.js';
import type { Schema } from '../src/db/schema.js';
import { redeemOnce } from '../src/engine/redeem.js';
import { withTpcbDatabase } from './pgbench.js';
import { dropDatabase, recreateDatabase, urlFor } from './scratch.js';
import { ENGINE_SHAPE, planRequests, round, seedBenchWorld } from './workload.js';

// The `profile` benchmark (docs/benchmarks.md, "profile"): what one redemption costs PostgreSQL,
// statement by statement, beside what one pgbench tpcb-like transaction costs, in units the
// machine's load does not change: WAL bytes, shared buffers touched and dirtied, rows, statements.
// Timings are printed too, but read them as shares, not as rates (one caller, one connection).
//
// How: the engine's requests (the `engine` benchmark's mix) run one after another on one
// connection with auto_explain loaded for that session (nested statements, ANALYZE, BUFFERS, WAL,
// JSON to the client as NOTICEs); each nested statement's plan is summed under its query text.
// The baseline runs pgbench's tpcb-like script through the same connection, with the WAL insert
// position read before and after.

const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 400);
const TPCB_TRANSACTIONS = 2_000;

interface StatementCost {
  query: string;
  calls: number;
  ms: number;
  sharedHit: number;
  sharedRead: number;
  sharedDirtied: number;
  walBytes: number;
  walRecords: number;
  rows: number;
}

interface PlanNode {
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Shared Dirtied Blocks'?: number;
  'WAL Bytes'?: number;
  'WAL Records'?: number;
}

/** One auto_explain NOTICE: `duration: … ms  plan:\n{json}`. */
function parseNotice(text: string): { query: string; plan: PlanNode } | null {
  const at = text.indexOf('{');
  if (!text.includes('plan:') || at < 0) return null;
  try {
    const doc = JSON.parse(text.slice(at)) as { 'Query Text': string; Plan: PlanNode };
    return { query: doc['Query Text'].replace(/\s+/g, ' ').trim(), plan: doc.Plan };
  } catch {
    return null;
  }
}

function add(costs: Map<string, StatementCost>, query: string, plan: PlanNode): void {
  const cost = costs.get(query) ?? { query, calls: 0, ms: 0, sharedHit: 0, sharedRead: 0, sharedDirtied: 0, walBytes: 0, walRecords: 0, rows: 0 };
  cost.calls += 1;
  cost.ms += plan['Actual Total Time'] ?? 0;
  cost.sharedHit += plan['Shared Hit Blocks'] ?? 0;
  cost.sharedRead += plan['Shared Read Blocks'] ?? 0;
  cost.sharedDirtied += plan['Shared Dirtied Blocks'] ?? 0;
  cost.walBytes += plan['WAL Bytes'] ?? 0;
  cost.walRecords += plan['WAL Records'] ?? 0;
  cost.rows += (plan['Actual Rows'] ?? 0) * (plan['Actual Loops'] ?? 1);
  costs.set(query, cost);
}

const walLsn = async (client: pg.Client) => BigInt((await client.query(`select pg_current_wal_insert_lsn() - '0/0'::pg_lsn as at`)).rows[0].at);

/** The engine's requests, one at a time, with every nested statement's plan summed. */
async function profileRedemptions(url: string, log: (line: string) => void) {
  const setup = await openDatabase({ url, poolSize: 2 });
  let world;
  try {
    await migrate(setup);
    world = await seedBenchWorld(setup.db, { ...ENGINE_SHAPE, requests: REQUESTS });
  } finally {
    await setup.close();
  }
  const requests = planRequests(world, { ...ENGINE_SHAPE, requests: REQUESTS }, 'profile');
  const costs = new Map<string, StatementCost>();
  let topLevel: PlanNode[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('connect', (client) => {
    client.on('notice', (notice) => {
      const parsed = parseNotice(notice.message ?? '');
      if (!parsed) return;
      if (parsed.query.startsWith('select redeem_reward_with_points(')) topLevel.push(parsed.plan);
      else add(costs, parsed.query, parsed.plan);
    });
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const setting of [
      `load 'auto_explain'`,
      'set auto_explain.log_min_duration = 0',
      'set auto_explain.log_nested_statements = on',
      'set auto_explain.log_analyze = on',
      'set auto_explain.log_buffers = on',
      'set auto_explain.log_wal = on',
      `set auto_explain.log_format = 'json'`,
      `set auto_explain.log_level = 'notice'`,
      `set client_min_messages = 'notice'`,
    ]) {
      await sql.raw(setting).execute(db);
    }
    // Warm-up: the first calls plan every statement of the function.
    for (const request of requests.slice(0, 20)) await redeemOnce(db, { ...request, eventId: `${request.eventId}-warm` });
    costs.clear();
    topLevel = [];
    log(`profile: ${requests.length} redemptions, one at a time, auto_explain on every nested statement`);
    const walBefore = await walLsn(client);
    let succeeded = 0;
    for (const request of requests) if ((await redeemOnce(db, request)).success) succeeded++;
    const walAfter = await walLsn(client);
    return { requests: requests.length, succeeded, walBytes: Number(walAfter - walBefore), costs, topLevel };
  } finally {
    await client.end();
    await db.destroy();
  }
}

/** pgbench's tpcb-like transaction, through one connection: WAL per transaction, and the same per-statement sums. */
function profileTpcb(log: (line: string) => void) {
  return withTpcbDatabase('redeemctl_bench_profile_tpcb', async (url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      log(`profile: ${TPCB_TRANSACTIONS} tpcb-like transactions, one at a time`);
      let seed = 1;
      const random = (n: number) => 1 + ((seed = (seed * 48271) % 2147483647) % n);
      const walBefore = await walLsn(client);
      for (let i = 0; i < TPCB_TRANSACTIONS; i++) {
        const [aid, bid, tid, delta] = [random(1_000_000), random(10), random(100), random(10_000) - 5_000];
        await client.query('begin');
        await client.query('update pgbench_accounts set abalance = abalance + $1 where aid = $2', [delta, aid]);
        await client.query('select abalance from pgbench_accounts where aid = $1', [aid]);
        await client.query('update pgbench_tellers set tbalance = tbalance + $1 where tid = $2', [delta, tid]);
        await client.query('update pgbench_branches set bbalance = bbalance + $1 where bid = $2', [delta, bid]);
        await client.query('insert into pgbench_history (tid, bid, aid, delta, mtime) values ($1, $2, $3, $4, current_timestamp)', [tid, bid, aid, delta]);
        await client.query('commit');
      }
      const walAfter = await walLsn(client);
      return { transactions: TPCB_TRANSACTIONS, walBytes: Number(walAfter - walBefore) };
    } finally {
      await client.end();
    }
  });
}

export async function measureProfile(log: (line: string) => void): Promise<object> {
  const name = 'redeemctl_bench_profile';
  await recreateDatabase(name);
  try {
    const run = await profileRedemptions(urlFor(name), log);
    const tpcb = await profileTpcb(log);
    const per = (value: number) => round(value / run.requests, 2);
    const total = (pick: (p: PlanNode) => number | undefined) => run.topLevel.reduce((sum, p) => sum + (pick(p) ?? 0), 0);
    const statements = [...run.costs.values()]
      .sort((a, b) => b.sharedDirtied + b.walBytes / 8192 - (a.sharedDirtied + a.walBytes / 8192) || b.ms - a.ms)
      .map((c) => ({
        query: c.query.slice(0, 160),
        calls_per_redemption: per(c.calls),
        ms_per_redemption: round(c.ms / run.requests, 4),
        shared_hit_per_redemption: per(c.sharedHit),
        shared_dirtied_per_redemption: per(c.sharedDirtied),
        wal_bytes_per_redemption: per(c.walBytes),
        rows_per_redemption: per(c.rows),
      }));
    return {
      bench: 'profile',
      requests: run.requests,
      succeeded: run.succeeded,
      redemption: {
        wal_bytes: per(run.walBytes),
        statements: per([...run.costs.values()].reduce((sum, c) => sum + c.calls, 0)),
        shared_hit: per(total((p) => p['Shared Hit Blocks'])),
        shared_dirtied: per(total((p) => p['Shared Dirtied Blocks'])),
        wal_records: per(total((p) => p['WAL Records'])),
        ms_in_function: round(total((p) => p['Actual Total Time']) / run.requests, 3),
      },
      tpcb: { wal_bytes: round(tpcb.walBytes / tpcb.transactions, 2), statements: 5 },
      wal_ratio: round(run.walBytes / run.requests / (tpcb.walBytes / tpcb.transactions), 2),
      goal: 'a redemption costs what a tpcb transaction costs (issue 12): wal_ratio toward 1',
      statements,
    };
  } finally {
    await dropDatabase(name);
  }
}
