import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { runInProcess, type CliResult } from './cliHarness.js';
import { uniqueName } from './scenario.js';

// Helpers for tests/codes: a merchant with pool rewards, CSV files in a temp folder, the CLI in
// process against the test's server database, and the pool as rows.

/** Two pool rewards (POOL, OTHER), a reward without a pool (MUG) and two members with points. */
export function codesFixture(name = uniqueName('Codes')): FixtureInput {
  return {
    merchant: { name, time_zone: 'Asia/Bangkok' },
    users: [
      { email: 'ann@codes.test', points: 100_000 },
      { email: 'bob@codes.test', points: 100_000 },
    ],
    rewards: [
      { reward_code: 'POOL', name: 'Pool voucher', assign_promocode: true, fallback_points: 10 },
      { reward_code: 'OTHER', name: 'Other voucher', assign_promocode: true, fallback_points: 10, codes: ['SEEDED-1', 'SEEDED-2'] },
      { reward_code: 'MUG', name: 'Coffee mug', fallback_points: 10 },
    ],
  };
}

/** A temp folder for one test file's CSVs and reports; remove() at the end. */
export class CsvFolder {
  readonly dir = mkdtempSync(join(tmpdir(), 'redeemctl-codes-'));
  private n = 0;

  /** Writes text (as UTF-8) or raw bytes; returns the path. */
  write(content: string | Buffer, name = `file${++this.n}.csv`): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `redeemctl …` in process, as one merchant, against a server database. */
export function codesCli(url: () => string, merchant: string) {
  return (...argv: string[]): Promise<CliResult> =>
    runInProcess(argv, { env: { DATABASE_URL: url(), REDEEMCTL_MERCHANT: merchant, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' } });
}

export interface PoolRow {
  promo_code: string;
  lot: string | null;
  partner: string | null;
  expires_at: Date | null;
  status: string;
  import_batch_id: string | null;
}

/** One reward's codes in pool (claim) order. */
export async function poolRows(db: Kysely<Schema>, rewardId: string): Promise<PoolRow[]> {
  return db
    .selectFrom('reward_promo_code')
    .select(['promo_code', 'lot', 'partner', 'expires_at', 'status', 'import_batch_id'])
    .where('reward_id', '=', rewardId)
    .orderBy('id')
    .execute();
}

export async function poolCodes(db: Kysely<Schema>, rewardId: string): Promise<string[]> {
  return (await poolRows(db, rewardId)).map((r) => r.promo_code);
}

/** Rows of every table an import or a void writes: equal before and after means nothing was written. */
export async function codesFootprint(db: Kysely<Schema>): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, number>>`select
      (select count(*) from reward_promo_code)::int as codes,
      (select count(*) from reward_promo_code where status = 'voided')::int as voided,
      (select count(*) from code_import_batches)::int as batches,
      (select count(*) from audit_log)::int as audit`.execute(db);
  return rows[0]!;
}

export async function batchRow(db: Kysely<Schema>, id: string): Promise<Record<string, unknown>> {
  const { rows } = await sql<Record<string, unknown>>`select * from code_import_batches where id = ${id}::uuid`.execute(db);
  return rows[0]!;
}

/** A CSV of `count` codes PREFIX-0001…, one column. */
export function codeList(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`);
}
