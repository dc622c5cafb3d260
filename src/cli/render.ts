import type { CancelResult, QuoteResult, RedeemResult, UseResult } from '../engine/types.js';
import type { CliIO } from './io.js';
import { keyValues, paint, table } from './output.js';

// Human renderings of engine results, shared by the commands and the demo.

export function renderRedeem(io: CliIO, result: RedeemResult): string {
  const lines: string[] = [];
  const replay = result.idempotent ? paint(io, 'dim', ' (already processed: the stored result)') : '';
  if (result.success) {
    lines.push(`${paint(io, 'green', 'OK')} ${result.message} [pattern ${result.pattern}]${replay}`);
    lines.push(
      table(
        io,
        ['redemption code', 'promo code', 'qty', 'points'],
        result.redemptions.map((r) => [r.redemption_code, r.promo_code, r.qty, r.points_deducted]),
      ),
    );
    lines.push(`event ${result.event_id}; new balance ${result.new_balance}`);
  } else {
    lines.push(`${paint(io, 'red', 'REFUSED')} ${result.error_code}: ${result.message}${replay}`);
    lines.push(`event ${result.event_id}`);
  }
  return lines.join('\n');
}

export function renderQuote(io: CliIO, reward: string, user: string, q: QuoteResult): string {
  const verdict = q.eligible ? paint(io, 'green', 'eligible') : paint(io, 'red', `not eligible: ${q.error_code}`);
  return keyValues(io, [
    ['reward', reward],
    ['member', user],
    ['verdict', verdict + (q.message ? ` (${q.message})` : '')],
    ['points per unit', q.points_per_unit ?? 'no price applies'],
    [`total for ${q.quantity ?? 1}`, q.total_points ?? ''],
    ['balance', q.balance ?? ''],
    ['max quantity now', q.max_quantity],
    ['bound by', q.binding ?? ''],
    ['codes available', q.codes_available ?? ''],
    ['stock remaining', q.stock_remaining ?? ''],
    ...(q.limits ?? []).map(
      (l) => [`limit (${l.scope}/${l.unit})`, `${l.used} of ${l.limit} used, ${l.remaining} left`] as [string, string],
    ),
  ]);
}

export function renderCancel(io: CliIO, result: CancelResult): string {
  if (!result.success) return `${paint(io, 'red', 'REFUSED')} ${result.error_code}: ${result.message}`;
  const head = `${paint(io, 'green', 'OK')} ${result.message}`;
  if (!result.rows || result.rows.length === 0) return head;
  return [
    head,
    table(
      io,
      ['redemption code', 'promo code', 'qty', 'refund', 'was used'],
      result.rows.map((r) => [r.redemption_code, r.promo_code, r.qty, r.points_refunded, r.was_used ? 'yes' : '']),
    ),
  ].join('\n');
}

export function renderUse(io: CliIO, result: UseResult): string {
  return result.success
    ? `${paint(io, 'green', 'OK')} ${result.message}`
    : `${paint(io, 'red', 'REFUSED')} ${result.error_code}: ${result.message}`;
}
