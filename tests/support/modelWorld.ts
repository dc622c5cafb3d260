import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { importCodes } from '../../src/codes/importPool.js';
import { cancel, setUsed } from '../../src/engine/cancelAndUse.js';
import { redeem } from '../../src/engine/redeem.js';
import type { Mode, RedeemRequest, RedeemResult } from '../../src/engine/types.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { createServerDatabase, type TestDatabase } from './databases.js';
import { findViolations } from './invariants.js';
import { Scenario, uniqueName } from './scenario.js';

// The world and the operations of tests/engine/model.test.ts (the randomised, stateful test of
// issue 9): a small merchant, operations that name their targets by index (resolved against what
// the run has done so far, so any generated sequence is runnable and shrinks cleanly), and the
// checks run after every step: the invariant checker plus the model checks below.

export const MEMBERS = ['ann@m.test', 'bob@m.test', 'cat@m.test', 'dan@m.test'] as const;
export const POINTS = [400, 250, 120, 600] as const;
export const REWARDS = ['POOL', 'STOCK', 'LIMITED'] as const;
export type RewardKey = (typeof REWARDS)[number];
const PRICE: Record<RewardKey, number> = { POOL: 30, STOCK: 20, LIMITED: 10 };

export function modelFixture(): FixtureInput {
  return {
    merchant: { name: uniqueName('Model') },
    users: MEMBERS.map((email, i) => ({ email, points: POINTS[i]! })),
    rewards: [
      { reward_code: 'POOL', name: 'Pool voucher', assign_promocode: true, fallback_points: PRICE.POOL, codes: { generate: 20 } },
      { reward_code: 'STOCK', name: 'Mug', fallback_points: PRICE.STOCK, stock_total: 10 },
      // A total limit from the start (created before any redemption: the counter sees everything).
      { reward_code: 'LIMITED', name: 'Limited', fallback_points: PRICE.LIMITED, limits: [{ scope: 'total', max: 8, unit: 'all_time' }] },
    ],
  };
}

// ---- operations -------------------------------------------------------------------------

/** Changes of configuration: run one after another at the start of a step, before its concurrent operations. */
export type ConfigOp =
  | { kind: 'stock'; value: number | null }
  | { kind: 'addLimit'; reward: RewardKey; scope: 'user' | 'total'; max: number }
  | { kind: 'deactivateLimit'; pick: number }
  | { kind: 'reactivateLimit'; pick: number };

/** Operations run all at once (Promise.all over the pool's connections). */
export type Op =
  | { kind: 'redeem'; member: number; reward: RewardKey; quantity: number; mode: Mode }
  /** The same request twice at once under one fresh event id: one takes effect, the other is its replay. */
  | { kind: 'twin'; member: number; reward: RewardKey; quantity: number }
  /** An earlier request's event id again: as it was (idempotent replay) or with another quantity (conflict). */
  | { kind: 'replay'; pick: number; same: boolean }
  | { kind: 'cancel'; pick: number; by: 'event' | 'redemption' | 'code'; codes: 'release' | 'void'; force: boolean }
  | { kind: 'use'; pick: number; row: number; by: 'redemption' | 'code'; used: boolean }
  | { kind: 'import'; count: number };

export function describeOp(op: Op | ConfigOp): string {
  const { kind, ...rest } = op;
  return `${kind}${JSON.stringify(rest)}`;
}

interface Recorded {
  request: RedeemRequest;
  result: RedeemResult;
  reward: RewardKey;
  member: number;
}

interface LimitRow {
  id: string;
  reward: RewardKey;
  scope: 'user' | 'total';
  max: number;
  active: boolean;
}

const ACTOR = 'model-test';

export class ModelWorld {
  /** Requests with a stored record (not CONCURRENT_CONFLICT), in order: replay targets. */
  readonly recorded: Recorded[] = [];
  /** Successful requests with their rows: cancel and use targets. */
  readonly successes: Recorded[] = [];
  /** What ran, resolved (event ids, codes), and what it answered: printed when a run fails. */
  readonly log: string[] = [];
  operations = 0;
  /** How operations ended, by kind and first word of the answer (ok, an error code, …): what a run exercised. */
  readonly outcomes: Record<string, number> = {};
  private stepNo = 0;
  private importNo = 0;
  private readonly csvDir = mkdtempSync(join(tmpdir(), 'redeemctl-model-'));

  private constructor(
    readonly handle: TestDatabase,
    readonly s: Scenario,
  ) {}

  /** A fresh database per run (cloned from the migrated template): a violation never leaks into the next run. */
  static async open(): Promise<ModelWorld> {
    const handle = await createServerDatabase({ poolSize: 8 });
    try {
      return new ModelWorld(handle, await Scenario.create(handle.database.db, modelFixture()));
    } catch (error) {
      await handle.drop();
      throw error;
    }
  }

  async close(): Promise<void> {
    rmSync(this.csvDir, { recursive: true, force: true });
    await this.handle.drop();
  }

  private get db() {
    return this.s.db;
  }

  // ---- one step ----

  /**
   * Configuration changes run one after another before the step's operations, unless
   * concurrentConfig: then they run at once with them (the limits they touch are left out of M4,
   * which needs a limit unchanged through the step).
   */
  async step(config: ConfigOp[], ops: Op[], concurrentConfig = false): Promise<void> {
    const n = ++this.stepNo;
    this.log.push(`step ${n}: config${concurrentConfig ? ' (at once with the ops)' : ''} [${config.map(describeOp).join(', ')}] ops [${ops.map(describeOp).join(', ')}]`);
    const calcTouched = new Set<string>();
    const staffTouched = new Set<RewardKey>();
    const configErrors: string[] = [];
    const configure = async () => {
      for (const c of config) {
        try {
          this.log.push(`  config ${describeOp(c)} -> ${await this.runConfig(c, concurrentConfig ? staffTouched : undefined)}`);
        } catch (error) {
          this.log.push(`  config ${describeOp(c)} -> THREW ${String((error as Error)?.message ?? error)}`);
          configErrors.push(`${describeOp(c)}: ${(error as Error)?.stack ?? String(error)}`);
        }
      }
    };
    if (!concurrentConfig) await configure();
    const [outcomes] = await Promise.all([
      Promise.allSettled(ops.map((op) => this.runOp(op, calcTouched, staffTouched))),
      concurrentConfig ? configure() : Promise.resolve(),
    ]);
    const errors: string[] = [...configErrors];
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') {
        this.log.push(`  ${describeOp(ops[i]!)} -> ${o.value}`);
        const answer = o.value.includes(': ') ? o.value.slice(o.value.indexOf(': ') + 2) : o.value;
        const words = answer.split(' ');
        const key = `${ops[i]!.kind} ${(ops[i]!.kind === 'replay' && words[0] !== 'nothing' ? words[1] : words[0]) ?? '?'}`;
        this.outcomes[key] = (this.outcomes[key] ?? 0) + 1;
      }
      else {
        const message = (o.reason as Error)?.stack ?? String(o.reason);
        this.log.push(`  ${describeOp(ops[i]!)} -> THREW ${message.split('\n')[0]}`);
        errors.push(`${describeOp(ops[i]!)}: ${message}`);
      }
    });
    this.operations += config.length + ops.length;
    if (errors.length > 0) throw new Error(`step ${n}: ${errors.length} operation(s) threw or broke a model check:\n${errors.join('\n')}`);
    await this.check(calcTouched, staffTouched, n);
  }

  // ---- configuration ----

  private rewardId(key: RewardKey): string {
    return this.s.reward(key);
  }

  private async limits(): Promise<LimitRow[]> {
    const rows = await sql<{ id: string; reward_id: string; scope: 'user' | 'total'; max_count: string; active: boolean }>`
      select id, reward_id, scope, max_count, active from transaction_limits where merchant_id = ${this.s.merchantId}::uuid order by id`.execute(this.db);
    const byId = Object.fromEntries(REWARDS.map((k) => [this.rewardId(k), k]));
    return rows.rows.map((r) => ({ id: r.id, reward: byId[r.reward_id]!, scope: r.scope, max: Number(r.max_count), active: r.active }));
  }

  /** changed: where to note the rewards whose limits changed (concurrent configuration only). */
  private async runConfig(c: ConfigOp, changed?: Set<RewardKey>): Promise<string> {
    switch (c.kind) {
      case 'stock': {
        // Never below what is live: an operator lowering stock under the units already handed out
        // would make invariant 5b fail by definition, not by an engine fault. The live units are
        // read under the reward's settings lock, so no redemption in flight is missed.
        await this.db.transaction().execute(async (trx) => {
          await sql`select rd_lock_reward_settings(${this.rewardId('STOCK')}::uuid)`.execute(trx);
          await sql`update reward_master set stock_total = case when ${c.value}::bigint is null then null else greatest(${c.value}::bigint,
                      (select coalesce(sum(qty), 0) from reward_redemptions_ledger where reward_id = ${this.rewardId('STOCK')}::uuid and success and cancelled_at is null)) end
                    where id = ${this.rewardId('STOCK')}::uuid`.execute(trx);
        });
        const row = await this.db.selectFrom('reward_master').select('stock_total').where('id', '=', this.rewardId('STOCK')).executeTakeFirstOrThrow();
        return `stock_total=${row.stock_total}`;
      }
      case 'addLimit': {
        await sql`insert into transaction_limits (merchant_id, reward_id, scope, max_count, time_unit)
                  values (${this.s.merchantId}::uuid, ${this.rewardId(c.reward)}::uuid, ${c.scope}, ${c.max}, 'all_time')`.execute(this.db);
        changed?.add(c.reward);
        return `${c.scope} limit ${c.max} all_time on ${c.reward}`;
      }
      case 'deactivateLimit':
      case 'reactivateLimit': {
        const want = c.kind === 'reactivateLimit';
        // Total-scope limits are reactivated only when the generator says so (issue 9 defect 1).
        const candidates = (await this.limits()).filter((l) => l.active !== want);
        if (candidates.length === 0) return 'no limit to change';
        const l = candidates[c.pick % candidates.length]!;
        changed?.add(l.reward);
        await sql`update transaction_limits set active = ${want} where id = ${l.id}::uuid`.execute(this.db);
        return `${want ? 'reactivated' : 'deactivated'} ${l.scope} limit ${l.max} on ${l.reward}`;
      }
    }
  }

  // ---- concurrent operations ----

  private request(member: number, reward: RewardKey, quantity: number, mode: Mode, eventId: string): RedeemRequest {
    return {
      merchantId: this.s.merchantId,
      userId: this.s.user(MEMBERS[member]!),
      rewardId: this.rewardId(reward),
      quantity,
      mode,
      eventId,
      ...(mode === 'calc' ? {} : { actor: ACTOR, reason: 'model test' }),
    };
  }

  private record(r: Recorded, calcTouched: Set<string>, staffTouched: Set<RewardKey>): void {
    if (r.result.error_code === 'CONCURRENT_CONFLICT') return; // nothing stored: no replay target
    if (r.result.idempotent) return;
    this.recorded.push(r);
    if (r.result.success) {
      this.successes.push(r);
      if ((r.request.mode ?? 'calc') === 'calc') {
        calcTouched.add(`${r.reward}|*`);
        calcTouched.add(`${r.reward}|${r.member}`);
      } else staffTouched.add(r.reward);
    }
  }

  private async runOp(op: Op, calcTouched: Set<string>, staffTouched: Set<RewardKey>): Promise<string> {
    switch (op.kind) {
      case 'redeem': {
        const request = this.request(op.member, op.reward, op.quantity, op.mode, crypto.randomUUID());
        const result = await redeem(this.db, request);
        this.record({ request, result, reward: op.reward, member: op.member }, calcTouched, staffTouched);
        return summary(result);
      }
      case 'twin': {
        const request = this.request(op.member, op.reward, op.quantity, 'calc', crypto.randomUUID());
        const [a, b] = await Promise.all([redeem(this.db, request), redeem(this.db, request)]);
        const conflicts = [a, b].filter((r) => r.error_code === 'CONCURRENT_CONFLICT').length;
        if (conflicts === 0) {
          // Model check: one event id takes effect once; the other call is its replay, with the same answer.
          const fresh = [a, b].filter((r) => !r.idempotent);
          if (fresh.length !== 1) throw new Error(`twin ${request.eventId}: ${fresh.length} calls took effect (want 1): ${summary(a)} / ${summary(b)}`);
          if (sameAnswer(a, b) !== null) throw new Error(`twin ${request.eventId}: answers differ (${sameAnswer(a, b)}): ${summary(a)} / ${summary(b)}`);
        }
        for (const result of [a, b]) this.record({ request, result, reward: op.reward, member: op.member }, calcTouched, staffTouched);
        return `${summary(a)} / ${summary(b)}`;
      }
      case 'replay': {
        if (this.recorded.length === 0) return 'nothing to replay';
        const original = this.recorded[op.pick % this.recorded.length]!;
        const request = op.same ? original.request : { ...original.request, quantity: (original.request.quantity ?? 1) + 1 };
        const result = await redeem(this.db, request);
        if (op.same) {
          // Model check: a redelivery returns the stored result, marked idempotent, and changes nothing.
          if (!result.idempotent) throw new Error(`replay of ${request.eventId} was not idempotent: ${summary(result)}`);
          const diff = sameAnswer(original.result, result);
          if (diff !== null) throw new Error(`replay of ${request.eventId} answered differently (${diff}): stored ${summary(original.result)}, replay ${summary(result)}`);
        } else if (result.error_code !== 'IDEMPOTENCY_CONFLICT') {
          throw new Error(`event ${request.eventId} reused with another quantity answered ${summary(result)}, want IDEMPOTENCY_CONFLICT`);
        }
        return `${request.eventId} ${summary(result)}`;
      }
      case 'cancel': {
        if (this.successes.length === 0) return 'nothing to cancel';
        const target = this.successes[op.pick % this.successes.length]!;
        const row = target.result.redemptions[op.pick % target.result.redemptions.length]!;
        const value = op.by === 'event' ? target.result.event_id : op.by === 'redemption' ? row.redemption_id : row.redemption_code;
        const result = await cancel(this.db, {
          merchantId: this.s.merchantId,
          by: op.by === 'code' ? 'code' : op.by,
          value,
          actor: ACTOR,
          reason: 'model test',
          codes: op.codes,
          forceUsed: op.force,
        });
        const ok = result.success || result.error_code === 'ALREADY_USED';
        if (!ok) throw new Error(`cancel ${op.by} ${value} of a successful request answered ${result.error_code}: ${result.message}`);
        return `${op.by} ${value}: ${result.success ? 'ok' : result.error_code} ${result.info_code ?? ''} cancelled=${result.cancelled} refunded=${result.points_refunded ?? 0} released=${result.codes_released ?? 0} voided=${result.codes_voided ?? 0}`;
      }
      case 'use': {
        if (this.successes.length === 0) return 'nothing to use';
        const target = this.successes[op.pick % this.successes.length]!;
        const row = target.result.redemptions[op.row % target.result.redemptions.length]!;
        const value = op.by === 'redemption' ? row.redemption_id : row.redemption_code;
        const result = await setUsed(this.db, { merchantId: this.s.merchantId, by: op.by, value, used: op.used, actor: ACTOR });
        const allowed = ['ALREADY_USED', 'NOT_USED', 'REDEMPTION_CANCELLED'];
        if (!result.success && !allowed.includes(result.error_code ?? '')) {
          throw new Error(`${op.used ? 'use' : 'unuse'} ${op.by} ${value} answered ${result.error_code}: ${result.message}`);
        }
        return `${op.used ? 'use' : 'unuse'} ${value}: ${result.success ? 'ok' : result.error_code}`;
      }
      case 'import': {
        const n = ++this.importNo;
        const codes = Array.from({ length: op.count }, (_, i) => `IMP-${n}-${i + 1}`);
        const file = join(this.csvDir, `import-${n}.csv`);
        writeFileSync(file, ['code', ...codes].join('\n') + '\n');
        const reward = { id: this.rewardId('POOL'), rewardCode: 'POOL', timeZone: 'UTC' };
        const result = await importCodes(this.handle.database, { file, merchantId: this.s.merchantId, reward, lot: null, dryRun: false, skipInvalid: false, actor: ACTOR });
        if (!result.success || result.imported !== op.count) throw new Error(`import of ${op.count} new codes: ${result.message}`);
        return `imported ${result.imported}`;
      }
    }
  }

  // ---- checks after every step ----

  private async check(calcTouched: Set<string>, staffTouched: Set<RewardKey>, step: number): Promise<void> {
    const problems: string[] = [];
    const violations = await findViolations(this.db);
    if (violations.length > 0) problems.push(`invariants: ${JSON.stringify(violations)}`);

    // M1. Each balance is what was seeded minus the points of the member's live rows (refunds
    // give back exactly what a cancelled row took).
    const live = await sql<{ user_id: string; reward_id: string; units: string; points: string }>`
      select user_id, reward_id, sum(qty) as units, sum(points_deducted) as points
      from reward_redemptions_ledger where merchant_id = ${this.s.merchantId}::uuid and success and cancelled_at is null
      group by user_id, reward_id`.execute(this.db);
    for (const [i, email] of MEMBERS.entries()) {
      const userId = this.s.user(email);
      const charged = live.rows.filter((r) => r.user_id === userId).reduce((sum, r) => sum + Number(r.points), 0);
      const balance = await this.s.balance(email);
      if (balance !== POINTS[i]! - charged) problems.push(`M1 balance of ${email} is ${balance}, want ${POINTS[i]} - ${charged} live points = ${POINTS[i]! - charged}`);
    }
    const units = (reward: RewardKey, member?: number) =>
      live.rows
        .filter((r) => r.reward_id === this.rewardId(reward) && (member === undefined || r.user_id === this.s.user(MEMBERS[member]!)))
        .reduce((sum, r) => sum + Number(r.units), 0);

    // M2. Live units of the stock reward never exceed stock_total when it is set.
    const stock = await this.db.selectFrom('reward_master').select('stock_total').where('id', '=', this.rewardId('STOCK')).executeTakeFirstOrThrow();
    if (stock.stock_total !== null && units('STOCK') > Number(stock.stock_total)) problems.push(`M2 STOCK: ${units('STOCK')} live units > stock_total ${stock.stock_total}`);

    // M3. An active total limit's counter (limit_usage, all_time window) equals the reward's live units.
    // M4. An active limit that calc requests got through this step (and no direct/force request
    // on that reward, which may pass it by design) holds: live units in scope <= max.
    const usage = await sql<{ limit_id: string; used: string }>`
      select u.limit_id, u.used from limit_usage u join transaction_limits l on l.id = u.limit_id
      where l.merchant_id = ${this.s.merchantId}::uuid`.execute(this.db);
    for (const l of await this.limits()) {
      if (!l.active) continue;
      if (l.scope === 'total') {
        const counted = Number(usage.rows.find((u) => u.limit_id === l.id)?.used ?? 0);
        if (counted !== units(l.reward)) problems.push(`M3 total limit on ${l.reward}: counter ${counted}, live units ${units(l.reward)}`);
      }
      if (staffTouched.has(l.reward)) continue;
      if (l.scope === 'total') {
        if (calcTouched.has(`${l.reward}|*`) && units(l.reward) > l.max) problems.push(`M4 total limit ${l.max} on ${l.reward}: ${units(l.reward)} live units after calc successes`);
      } else {
        for (const m of MEMBERS.keys()) {
          if (calcTouched.has(`${l.reward}|${m}`) && units(l.reward, m) > l.max) {
            problems.push(`M4 user limit ${l.max} on ${l.reward}: ${MEMBERS[m]} holds ${units(l.reward, m)} live units after a calc success`);
          }
        }
      }
    }
    if (problems.length > 0) throw new Error(`after step ${step}:\n${problems.join('\n')}`);
  }
}

function summary(r: RedeemResult): string {
  if (!r.success) return `${r.error_code}${r.idempotent ? ' (idempotent)' : ''}`;
  return `ok ${r.event_id.slice(0, 8)} qty=${r.total_quantity} pts=${r.total_points_deducted} codes=${r.redemptions.map((x) => x.promo_code ?? '-').join(',')}${r.idempotent ? ' (idempotent)' : ''}`;
}

/** null when two answers to one event id agree (success, error, rows); else what differs. */
function sameAnswer(a: RedeemResult, b: RedeemResult): string | null {
  if (a.success !== b.success) return 'success';
  if (a.error_code !== b.error_code) return 'error_code';
  if (a.event_id !== b.event_id) return 'event_id';
  const ids = (r: RedeemResult) => r.redemptions.map((x) => `${x.redemption_id}:${x.promo_code}:${x.qty}:${x.points_deducted}`).sort().join(',');
  if (ids(a) !== ids(b)) return 'redemptions';
  if (a.total_points_deducted !== b.total_points_deducted) return 'total_points_deducted';
  return null;
}
