import type { CancelResult, QuoteResult, RedeemResult, UseResult } from '../../../engine/types.js';
import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { keyValues, paint, table } from '../../output.js';

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
        result.redemptions.map((r) => [r.redemption_code, r.promo_code, formatCount(r.qty), formatCount(r.points_deducted)]),
      ),
    );
    lines.push(`event ${result.event_id}; new balance ${formatCount(result.new_balance)}`);
  } else {
    lines.push(`${paint(io, 'red', 'REFUSED')} ${result.error_code}: ${result.message}${replay}`);
    lines.push(`event ${result.event_id}`);
  }
  return lines.join('\n');
}

/** The verdict line is the engine's: what redeem would answer for this quantity (quote_reward's would_fail). */
export function renderQuote(io: CliIO, reward: string, user: string, q: QuoteResult): string {
  const fail = q.would_fail;
  const verdict = fail ? paint(io, 'red', `would fail: ${fail.error_code}`) + ` (${fail.message})` : paint(io, 'green', 'eligible');
  return keyValues(io, [
    ['reward', reward],
    ['member', user],
    ['verdict', verdict],
    ['points per unit', q.points_per_unit === null || q.points_per_unit === undefined ? 'no price applies' : formatCount(q.points_per_unit)],
    [`total for ${formatCount(q.quantity ?? 1)}`, formatCount(q.total_points)],
    ['balance', formatCount(q.balance)],
    ['max quantity now', formatCount(q.max_quantity)],
    ['bound by', q.binding ?? ''],
    ['codes available', formatCount(q.codes_available)],
    ['stock remaining', formatCount(q.stock_remaining)],
    ...(q.limits ?? []).map(
      (l) =>
        [`limit (${l.scope}/${l.unit})`, `${formatCount(l.used)} of ${formatCount(l.limit)} used, ${formatCount(l.remaining)} left`] as [string, string],
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
      ['redemption code', 'promo code', 'qty', 'refund', 'was used', 'code'],
      result.rows.map((r) => [
        r.redemption_code,
        r.promo_code,
        formatCount(r.qty),
        formatCount(r.points_refunded),
        r.was_used ? 'yes' : '',
        // A used code is voided even when release was asked: say why next to it.
        r.code === 'voided' && r.code_reason === 'used' ? 'voided (used)' : (r.code ?? ''),
      ]),
    ),
  ].join('\n');
}

/** A chunked cancel stopped between chunks by a signal: what was done, and the command that finishes it. */
export function renderCancelStopped(result: CancelResult, signal: string, commandLine: string): string {
  return [
    `Stopped by ${signal} after ${formatCount(result.chunks ?? 0)} chunk(s): ${formatCount(result.cancelled)} redemption(s) cancelled, ` +
      `refunding ${formatCount(result.points_refunded ?? 0)} points; the rest are not cancelled yet.`,
    'To finish, run the same command again (rows already cancelled are skipped, never refunded twice):',
    `  ${commandLine}`,
  ].join('\n');
}

export function renderUse(io: CliIO, result: UseResult): string {
  return result.success
    ? `${paint(io, 'green', 'OK')} ${result.message}`
    : `${paint(io, 'red', 'REFUSED')} ${result.error_code}: ${result.message}`;
}
