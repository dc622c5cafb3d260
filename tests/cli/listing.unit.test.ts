import { describe, expect, it } from 'vitest';
import { CommandContext } from '../../src/cli/context.js';
import { emit } from '../../src/cli/emit.js';
import { listingCsv, listingTable, moreLine, type Listing } from '../../src/cli/listing.js';
import { note, quietIO } from '../../src/cli/output.js';
import { renderAudit, summariseDetails } from '../../src/cli/commands/render/audit.js';
import { formatCount } from '../../src/shared/format.js';
import { done } from '../../src/shared/outcome.js';
import { timeViewFor } from '../../src/shared/zonedTime.js';
import type { AuditList } from '../../src/lookup/audit.js';

// src/cli/listing.ts and its use by emit: one column definition, a table for people (times in the
// view's zone, the zone in the header) or CSV for programs (raw numbers, UTC, formula-safe).

interface Row {
  name: string;
  points: number;
  at: string;
}
const listing: Listing<Row> = {
  columns: [
    { head: 'name', cell: (r) => r.name },
    { head: 'points', cell: (r, f) => f.count(r.points) },
    { head: 'at', time: true, cell: (r, f) => f.time(r.at) },
  ],
  rows: [
    { name: '=SUM(A1:A9)', points: 12345, at: '2025-07-01T12:00:00.250Z' },
    { name: 'plain, with a comma', points: -5, at: '2025-01-01T00:00:00Z' },
  ],
  more: moreLine(2, 1234),
};

function buffers(options: { quiet?: boolean } = {}) {
  const out = { stdout: '', stderr: '' };
  const base = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env: {} };
  return { io: options.quiet ? quietIO(base) : base, out };
}

describe('listing', () => {
  it('CSV: the header, raw numbers, ISO-8601 UTC, formula cells neutralised and quoted per RFC 4180', () => {
    expect(listingCsv(listing)).toBe(
      'name,points,at\n' + "'=SUM(A1:A9),12345,2025-07-01T12:00:00.250Z\n" + '"plain, with a comma",-5,2025-01-01T00:00:00.000Z\n',
    );
  });

  it("a table: grouped numbers, times in the view's zone, the zone named in the time column's header", () => {
    const { io } = buffers();
    const text = listingTable(io, listing, timeViewFor('Europe/Paris').view);
    expect(text.split('\n')).toEqual([
      'name                 points  at (Europe/Paris)',
      '=SUM(A1:A9)          12,345  2025-07-01T14:00:00+02:00',
      'plain, with a comma  -5      2025-01-01T01:00:00+01:00',
    ]);
    expect(moreLine(50, 1234)).toBe('showing 50 of 1,234; raise --limit to see more');
  });

  it('emit with --output csv: the CSV on stdout, "showing … of …" on stderr; --quiet drops the note only', () => {
    for (const quiet of [false, true]) {
      const { io, out } = buffers({ quiet });
      const ctx = new CommandContext(io, { output: 'csv' });
      expect(emit(ctx, done({ n: 1 }), () => 'the table', { listing: () => listing })).toBe(0);
      expect(out.stdout).toBe(listingCsv(listing));
      expect(out.stderr).toBe(quiet ? '' : 'showing 2 of 1,234; raise --limit to see more\n');
    }
    const { io, out } = buffers({ quiet: true });
    note(io, 'a hint');
    io.stderr.write('progress');
    expect(out.stderr).toBe('');
  });
});

describe('audit rendering', () => {
  it('summarises the details: counts and short words; ids, nested objects and false flags are left to --json', () => {
    const details = { rows: 1200, points_refunded: 300, codes: 'release', force_used: false, dry: true, user_id: '1f5a64ae-a6d7-5ec9-9f8e-165da7403c42', nested: { a: 1 }, ids: [1, 2, 3] };
    expect(summariseDetails(details, { count: formatCount })).toBe('rows 1,200, points_refunded 300, codes release, dry, ids 3 item(s)');
    expect(summariseDetails(null, { count: formatCount })).toBe('');
  });

  it('says how many more rows there are under the table, and when there are none', () => {
    const entry = { id: 1, created_at: '2025-06-01T12:00:00.000Z', merchant_id: null, actor: 'ops', action: 'dlq_redrive', target_type: 'topic', target_id: 't.dlq', reason: 'fixed', details: { messages: 3 } };
    const list: AuditList = { filters: { since: null, actor: null, action: null, limit: 1 }, entries: [entry], total: 7, truncated: true };
    const { io } = buffers();
    const text = renderAudit(io, list);
    expect(text).toMatch(/^time +actor +action +target +reason +details +merchant\n2025-06-01T12:00:00Z +ops +dlq_redrive +topic t\.dlq +fixed +messages 3 +all \(topic-wide\)\n/);
    expect(text.endsWith('showing 1 of 7; raise --limit to see more')).toBe(true);
    expect(renderAudit(io, { ...list, total: 1, truncated: false }).endsWith('1 entry, newest first.')).toBe(true);
    expect(renderAudit(io, { ...list, entries: [], total: 0, truncated: false })).toBe('No audit entries match.');
  });
});
