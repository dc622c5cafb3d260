import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { OperatorAbortError, UsageError } from '../shared/errors.js';
import { csvLine } from '../shared/csvWrite.js';
import { ChunkedWriter, type TextSink } from './csvOut.js';

export const EXPORT_STATUSES = ['available', 'expired', 'redeemed', 'voided'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const EXPORT_COLUMNS = ['code', 'reward_code', 'lot', 'status', 'expires_at', 'partner', 'redeemed_at', 'redemption_code'];

export interface ExportFilter {
  merchantId: string;
  rewardId: string | null;
  status: ExportStatus | null;
  lot: string | null;
}

export function parseStatus(raw: string | undefined): ExportStatus | null {
  if (raw === undefined) return null;
  if (!(EXPORT_STATUSES as readonly string[]).includes(raw)) {
    throw new UsageError(`--status must be one of ${EXPORT_STATUSES.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as ExportStatus;
}

interface ExportRow {
  id: number;
  code: string;
  reward_code: string;
  lot: string | null;
  status: string;
  expires_at: Date | null;
  partner: string | null;
  redeemed_at: Date | null;
  redemption_code: string | null;
}

/** Rows per round trip: the export holds one page at a time, whatever the pool size. */
const PAGE = 5_000;

/** The filter's codes, as the export's WHERE: `p` is reward_promo_code. */
function matching(filter: ExportFilter) {
  const status = filter.status;
  return sql<boolean>`p.merchant_id = ${filter.merchantId}::uuid
        and (${filter.rewardId}::uuid is null or p.reward_id = ${filter.rewardId}::uuid)
        and (${filter.lot}::text is null or p.lot = ${filter.lot}::text)
        and (${status}::text is null
             or (${status}::text = 'available' and p.status = 'available' and (p.expires_at is null or p.expires_at > now()))
             or (${status}::text = 'expired' and p.status = 'available' and p.expires_at <= now())
             or (${status}::text in ('redeemed', 'voided') and p.status = ${status}::text))`;
}

/** How many codes the export will write (for the progress bar; codes redeemed meanwhile may move it a little). */
export async function countExport(db: Kysely<Schema>, filter: ExportFilter): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from reward_promo_code p where ${matching(filter)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** Stopped by SIGINT or SIGTERM between two pages: `written` codes went out before it stopped. */
export class ExportInterruptedError extends OperatorAbortError {
  constructor(
    readonly signalName: string,
    readonly written: number,
  ) {
    super(`Interrupted by ${signalName} after ${written} codes`);
  }
}

/**
 * The codes as CSV, in pool order (id), a page at a time by keyset (id > last), on both backends.
 * status is as `codes stats` counts it: an available code past its expires_at is "expired".
 * redemption_code is the RWD… code of the live redemption holding a redeemed code.
 * `signal` (Ctrl-C) is checked between pages: ExportInterruptedError, and the caller discards the file.
 */
export async function exportCodes(
  db: Kysely<Schema>,
  filter: ExportFilter,
  sink: TextSink,
  onPage?: (rows: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  const out = new ChunkedWriter(sink);
  await out.line(EXPORT_COLUMNS.join(',') + '\n');
  let after = 0;
  let written = 0;
  for (;;) {
    if (signal?.aborted) throw new ExportInterruptedError(typeof signal.reason === 'string' ? signal.reason : 'SIGINT', written);
    const { rows } = await sql<ExportRow>`
      select p.id, p.promo_code as code, r.reward_code, p.lot,
             case when p.status = 'available' and p.expires_at <= now() then 'expired' else p.status end as status,
             p.expires_at, p.partner, p.redeemed_at, l.code as redemption_code
      from reward_promo_code p
      join reward_master r on r.id = p.reward_id
      left join reward_redemptions_ledger l on l.id = p.ledger_id
      where ${matching(filter)} and p.id > ${after}
      order by p.id
      limit ${PAGE}`.execute(db);
    for (const r of rows) {
      await out.line(csvLine([r.code, r.reward_code, r.lot, r.status, r.expires_at, r.partner, r.redeemed_at, r.redemption_code]));
    }
    written += rows.length;
    onPage?.(written);
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1]!.id);
  }
  await out.flush();
  return written;
}
