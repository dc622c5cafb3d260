import type { CliIO } from '../../../shared/io.js';
import type { TimeView } from '../../../shared/zonedTime.js';
import { UTC_VIEW } from '../../../shared/zonedTime.js';
import type { AuditEntry, AuditList } from '../../../lookup/audit.js';
import { listingTable, moreLine, type CellFormat, type ListColumn, type Listing } from '../../listing.js';

// `redeemctl audit`: one row per recorded state change (docs/audit.md). The table summarises
// the details (the counts); --json has them whole.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `rows 3, points_refunded 300, codes release`: the details' counts and short words, in their
 * order. Ids (uuids) and nested objects are left to --json; a list is its length.
 */
export function summariseDetails(details: unknown, f: Pick<CellFormat, 'count'>): string {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return details === null || details === undefined ? '' : String(details);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    if (typeof value === 'number') parts.push(`${key} ${f.count(value)}`);
    else if (typeof value === 'boolean') {
      if (value) parts.push(key);
    } else if (typeof value === 'string' && value.length <= 24 && !UUID.test(value)) parts.push(`${key} ${value}`);
    else if (Array.isArray(value)) parts.push(`${key} ${f.count(value.length)} item(s)`);
  }
  return parts.join(', ');
}

const COLUMNS: Array<ListColumn<AuditEntry>> = [
  { head: 'time', time: true, cell: (e, f) => f.time(e.created_at) },
  { head: 'actor', cell: (e) => e.actor },
  { head: 'action', cell: (e) => e.action },
  { head: 'target', cell: (e) => (e.target_id === null ? e.target_type : `${e.target_type} ${e.target_id}`) },
  { head: 'reason', cell: (e) => e.reason },
  { head: 'details', drop: 1, cell: (e, f) => summariseDetails(e.details, f) },
  { head: 'merchant', drop: 2, cell: (e) => (e.merchant_id === null ? 'all (topic-wide)' : '') },
];

export function auditListing(list: AuditList): Listing<AuditEntry> {
  return { columns: COLUMNS, rows: list.entries, more: list.truncated ? moreLine(list.entries.length, list.total) : null };
}

export function renderAudit(io: CliIO, list: AuditList, view: TimeView = UTC_VIEW): string {
  if (list.entries.length === 0) return 'No audit entries match.';
  const listing = auditListing(list);
  return [listingTable(io, listing, view), listing.more ?? `${list.entries.length} entr${list.entries.length === 1 ? 'y' : 'ies'}, newest first.`].join('\n');
}
