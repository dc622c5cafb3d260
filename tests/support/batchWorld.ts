import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import { contentBatchId } from '../../src/batch/batchId.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { runInProcess, type CliResult } from './cliHarness.js';
import { Scenario, uniqueName } from './scenario.js';

// The world of the batch tests: one merchant per test (tenancy keeps tests in one database
// apart), CSV files in a temp folder, and the CLI run in process for that merchant.

export function batchFixture(): FixtureInput {
  return {
    merchant: { name: uniqueName('Batch Co') },
    tiers: ['Gold'],
    users: [
      { email: 'ann@b.test', tel: '+15550200001', tier: 'Gold', points: 1000 },
      { email: 'bob@b.test', points: 500 },
      { email: 'cat@b.test', points: 100 },
      { tel: '+15550200004', points: 300 },
    ],
    rewards: [
      { reward_code: 'VOUCHER', name: 'Pool voucher', assign_promocode: true, fallback_points: 100, codes: { generate: 5, prefix: 'V-' } },
      { reward_code: 'MUG', name: 'Mug', stock_total: 10, default_promo_code: 'MUG-PICKUP', fallback_points: 200 },
      { reward_code: 'PASS', name: 'Gold pass', allowed_tiers: ['Gold'], fallback_points: 50 },
      { reward_code: 'TOTE', name: 'Tote', fallback_points: 10, limits: [{ scope: 'user', max: 2, unit: 'all_time' }] },
    ],
  };
}

export class BatchWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'redeemctl-batch-'));

  private constructor(
    readonly scenario: Scenario,
    readonly env: Record<string, string>,
  ) {}

  static async create(db: Kysely<Schema>, url: string, fixture: FixtureInput = batchFixture()): Promise<BatchWorld> {
    const scenario = await Scenario.create(db, fixture);
    return new BatchWorld(scenario, { DATABASE_URL: url, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester', REDEEMCTL_MERCHANT: scenario.merchantId });
  }

  get db(): Kysely<Schema> {
    return this.scenario.db;
  }

  cli(...argv: string[]): Promise<CliResult> {
    return runInProcess(argv, { env: this.env });
  }

  /** Writes a CSV (lines joined with LF, plus a final LF) and returns its path. */
  file(name: string, lines: string[] | string): string {
    const path = join(this.dir, name);
    writeFileSync(path, Array.isArray(lines) ? lines.join('\n') + '\n' : lines);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** The batch id `batch run` derives for this file and merchant. */
  batchIdOf(bytes: string | Buffer): string {
    return contentBatchId(this.scenario.merchantId, createHash('sha256').update(bytes).digest('hex'));
  }

  /** Rows in every table a batch could write, for this merchant: equal before and after means nothing written. */
  async footprint(): Promise<Record<string, number>> {
    const m = this.scenario.merchantId;
    const { rows } = await sql<Record<string, number>>`select
        (select count(*) from redemption_requests where merchant_id = ${m}::uuid)::int as requests,
        (select count(*) from reward_redemptions_ledger where merchant_id = ${m}::uuid)::int as ledger,
        (select count(*) from wallet_ledger where merchant_id = ${m}::uuid)::int as wallet,
        (select count(*) from audit_log where merchant_id = ${m}::uuid)::int as audit,
        (select count(*) from grant_batches where merchant_id = ${m}::uuid)::int as batches,
        (select count(*) from reward_promo_code where merchant_id = ${m}::uuid and status = 'available')::int as codes_available,
        (select coalesce(sum(points_balance), 0) from user_wallet where merchant_id = ${m}::uuid)::int as points`.execute(this.db);
    return rows[0]!;
  }

  async balances(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('user_wallet')
      .innerJoin('user_accounts', 'user_accounts.id', 'user_wallet.user_id')
      .select(['user_accounts.email', 'user_accounts.tel', 'user_wallet.points_balance'])
      .where('user_wallet.merchant_id', '=', this.scenario.merchantId)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.email ?? r.tel ?? '?', r.points_balance]));
  }

  ledger(batchId: string) {
    return this.db
      .selectFrom('reward_redemptions_ledger')
      .selectAll()
      .where('source_type', '=', 'batch')
      .where('source_id', '=', batchId)
      .orderBy('event_id')
      .orderBy('promo_code_id')
      .execute();
  }

  requests(batchId: string) {
    return this.db.selectFrom('redemption_requests').selectAll().where('source_type', '=', 'batch').where('source_id', '=', batchId).orderBy('event_id').execute();
  }
}

/** The report's lines, header first. */
export function reportLines(text: string): string[] {
  return text.trimEnd().split('\n');
}

/** What one batch row's event left: its request records, their status, its ledger rows and units. */
export interface EventEffect {
  event_id: string;
  requests: number;
  status: string;
  ledger: number;
  qty: number;
}

/** Per event id of a batch's rows: how many request records, ledger rows and units it has. */
export async function effectsOfBatch(db: Kysely<Schema>, batchId: string): Promise<Map<string, EventEffect>> {
  const perEvent = await sql<EventEffect>`
    select r.event_id, count(distinct r.event_id)::int as requests, min(r.status) as status,
           count(l.id)::int as ledger, coalesce(sum(l.qty), 0)::int as qty
    from redemption_requests r left join reward_redemptions_ledger l on l.event_id = r.event_id
    where r.source_type = 'batch' and r.source_id = ${batchId}
    group by r.event_id`.execute(db);
  return new Map(perEvent.rows.map((e) => [e.event_id, e]));
}
