import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { table } from '../../output.js';
import type { AuditRow } from '../../../db/audit.js';

// Human output of `redeemctl audit`: one line per row, the details as compact JSON.

const DETAILS_CHARS = 100;

export function renderAudit(io: CliIO, result: { count: number; rows: AuditRow[] }): string {
  if (result.rows.length === 0) return 'No audit rows match.';
  return [
    table(
      io,
      ['time', 'actor', 'action', 'target', 'reason', { head: 'details', drop: 1 }],
      result.rows.map((r) => {
        const details = r.details === null ? '' : JSON.stringify(r.details);
        return [
          formatTime(r.created_at),
          r.actor,
          r.action,
          `${r.target_type} ${r.target_id ?? ''}`.trim(),
          r.reason ?? '',
          details.length > DETAILS_CHARS ? `${details.slice(0, DETAILS_CHARS)}…` : details,
        ];
      }),
    ),
    `${formatCount(result.count)} row(s), newest first.`,
  ].join('\n');
}
