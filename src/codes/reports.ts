import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { done, type Outcome } from '../shared/outcome.js';
import { resolveAnyReward } from './poolReward.js';
import { listImports, type CodeImport } from './imports.js';
import { codeStats, type RewardStats } from './stats.js';

// The read-only `codes` commands for a --reward key (or every reward): the key resolved, then the
// query. Their JSON documents keep the names scripts already read (`batches` for the imports:
// docs/codes.md, "Imports").

/** `codes stats`. */
export async function poolStats(db: Kysely<Schema>, merchantId: string, rewardKey: string | undefined): Promise<Outcome<{ rewards: RewardStats[] }>> {
  return done({ rewards: await codeStats(db, merchantId, await resolveAnyReward(db, merchantId, rewardKey)) });
}

/** `codes imports`: newest first, at most `limit`. */
export async function poolImports(
  db: Kysely<Schema>,
  merchantId: string,
  rewardKey: string | undefined,
  limit: number,
): Promise<Outcome<{ batches: CodeImport[] }>> {
  return done({ batches: await listImports(db, merchantId, await resolveAnyReward(db, merchantId, rewardKey), limit) });
}
