import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { CommandContext } from '../context.js';
import { formatTime } from '../../shared/format.js';
import { note, paint, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { LedgerFeed, type LedgerRow } from '../../api/realtime/ledgerFeed.js';
import { untilSignal } from '../../shared/signals.js';

export interface WatchOptions {
  user?: string | undefined;
  json?: boolean | undefined;
  limit?: string | undefined;
}

/**
 * `redeemctl watch`: the merchant's (or one member's) ledger writes as they are committed, one
 * line each, or one JSON object per line with --json (the row's columns by name). Runs until
 * SIGINT/SIGTERM, or until --limit rows were shown.
 */
export async function runWatch(ctx: CommandContext, options: WatchOptions): Promise<number> {
  const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
  if (!ctx.options.databaseUrl) {
    throw new UsageError(
      'watch needs a PostgreSQL server (DATABASE_URL or --database-url): the embedded database serves one process at a time, so no other command could write while watch runs',
    );
  }
  const database = await ctx.db();
  const merchantId = await ctx.merchantId();
  const userId = options.user === undefined ? undefined : await watchedMember(database.db, merchantId, options.user);

  let shown = 0;
  let reachedLimit!: () => void;
  const limitReached = new Promise<void>((resolve) => (reachedLimit = resolve));
  const feed = new LedgerFeed(database, {
    merchantId,
    onError: (message, error) => note(ctx.io, `warning: ${message}${error ? `: ${(error as Error).message ?? String(error)}` : ''}`),
  });
  const unsubscribe = await feed.subscribe({ merchantId, userId }, (rows) => {
    for (const row of rows) {
      if (limit !== undefined && shown >= limit) return;
      writeLine(ctx.io, options.json ? JSON.stringify(row) : renderRow(ctx, row));
      shown++;
      if (shown === limit) reachedLimit();
    }
  });
  try {
    note(ctx.io, `Watching ledger writes${userId ? ` of ${options.user}` : ' of the merchant'}${limit ? ` (stopping after ${limit})` : ''}; Ctrl-C to stop`);
    await untilSignal(limitReached);
  } finally {
    await unsubscribe();
    await feed.close();
  }
  return 0;
}

/**
 * --user, by the one resolver of member keys (src/lookup/keys.ts). Unlike a lookup's refusal (exit
 * 1 on stdout), an unknown member here is bad usage, exit 2 on stderr (tests/api/watch.test.ts):
 * stdout is the stream of rows, and watch has not started.
 */
async function watchedMember(db: Kysely<Schema>, merchantId: string, key: string): Promise<string> {
  const { resolveMember } = await import('../../lookup/keys.js');
  const userId = await resolveMember(db, merchantId, key);
  if (typeof userId !== 'string') throw new UsageError(`${userId.message} in this merchant: check --user`);
  return userId;
}

/**
 * One human line: when (ISO-8601 UTC to the second, formatTime), outcome, redemption code, then
 * `key=value` fields for member, reward, quantity, points, promo code and event. Those fields are
 * for grep and awk and are pasted back into flags, so their values stay raw (`points=1200`, not
 * `1,200`): docs/api.md.
 */
export function renderRow(ctx: CommandContext, row: LedgerRow): string {
  const when = formatTime(row.created_at);
  const outcome = row.success ? paint(ctx.io, 'green', 'OK') : paint(ctx.io, 'red', `REFUSED ${row.error_code}`);
  const parts = [
    when,
    outcome,
    row.code,
    `user=${row.user_id}`,
    `reward=${row.reward_id}`,
    `qty=${row.qty}`,
    `points=${row.points_deducted}`,
    ...(row.promo_code ? [`promo=${row.promo_code}`] : []),
    `event=${row.event_id}`,
    ...(row.success ? [] : [JSON.stringify(row.error_message)]),
  ];
  return parts.join(' ');
}
