import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { CliIO } from '../shared/io.js';
import { csvLine } from '../shared/csvWrite.js';
import { formatCount } from '../shared/format.js';
import { UTC_VIEW, type TimeView } from '../shared/zonedTime.js';
import { UsageError } from '../shared/errors.js';
import { paint, table, type Cell, type Colour, type ColumnSpec } from './output.js';

// Commands that list rows (docs/output.md, "Lists"): one definition of the columns gives the
// table and the CSV. `--output table|json|csv` chooses; `--json` is short for `--output json`.
// emit() (src/cli/emit.ts) prints the chosen form.

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options created here, so the context can tell a listing's --output from a file's (codes export --output FILE). */
const LISTING_OPTIONS = new WeakSet<object>();

/** `--output table|json|csv` for a listing command; it goes beside the command's `--json`. */
export function outputOption() {
  const option = new Option('--output <format>', 'table, json or csv (--json is short for --output json)').choices(OUTPUT_FORMATS);
  LISTING_OPTIONS.add(option);
  return option;
}

/**
 * The format a command's output takes: its --output (a listing command) agreeing with its --json,
 * or undefined for a command without --output. `--json --output csv` is bad usage (exit 2).
 */
export function listingFormat(command: CommandUnknownOpts): OutputFormat | undefined {
  if (!command.options.some((o) => LISTING_OPTIONS.has(o))) return undefined;
  const { output, json } = command.opts() as { output?: OutputFormat; json?: boolean };
  if (json && output !== undefined && output !== 'json') {
    throw new UsageError(`--json is short for --output json: give one, not --json with --output ${output}`);
  }
  return json ? 'json' : (output ?? 'table');
}

/** How a cell's value is written: for people (a table) or for a program (CSV). */
export interface CellFormat {
  /** A table for people (true) or CSV for a program (false): a cell may choose its words by it. */
  human: boolean;
  /** Counts, points, quantities: `12,345` in a table, `12345` in CSV. */
  count(value: number | string | null | undefined): string;
  /** Instants: in the view's zone in a table, ISO-8601 UTC in CSV (as in JSON). */
  time(at: Date | string | number | null | undefined): string;
  /** A coloured mark in a table; the text alone in CSV. */
  paint(colour: Colour, text: string): string;
}

/** A column of a list: its table header, whether it may be dropped to fit, and its cell. */
export interface ListColumn<R> {
  head: string;
  drop?: number;
  /** The column holds instants: its header names the zone in a table (`created (Europe/Paris)`). */
  time?: boolean;
  cell: (row: R, f: CellFormat) => Cell;
}

export interface Listing<R> {
  columns: Array<ListColumn<R>>;
  rows: R[];
  /** Said when not every row is shown (`showing 50 of 1,234; …`): on stderr beside CSV. */
  more?: string | null;
}

export function tableFormat(io: CliIO, view: TimeView): CellFormat {
  return { human: true, count: formatCount, time: (at) => view.time(at), paint: (colour, text) => paint(io, colour, text) };
}

const CSV_FORMAT: CellFormat = {
  human: false,
  count: (value) => (value === null || value === undefined ? '' : String(value)),
  time: (at) => {
    if (at === null || at === undefined || at === '') return '';
    const date = at instanceof Date ? at : new Date(at);
    return Number.isNaN(date.getTime()) ? String(at) : date.toISOString();
  },
  paint: (_colour, text) => text,
};

/** The listing as a table (src/cli/output.ts), times in the view's zone. */
export function listingTable<R>(io: CliIO, listing: Listing<R>, view: TimeView = UTC_VIEW): string {
  const heads: ColumnSpec[] = listing.columns.map((c) => ({ head: c.time ? view.head(c.head) : c.head, ...(c.drop === undefined ? {} : { drop: c.drop }) }));
  const f = tableFormat(io, view);
  return table(io, heads, listing.rows.map((row) => listing.columns.map((c) => c.cell(row, f))));
}

/**
 * The listing as CSV: a header of the table's column names, then one line per row, through the
 * spreadsheet-safe writer (src/shared/csvWrite.ts): a cell `=1+1` comes out as `'=1+1`.
 */
export function listingCsv<R>(listing: Listing<R>): string {
  const lines = [csvLine(listing.columns.map((c) => c.head))];
  for (const row of listing.rows) lines.push(csvLine(listing.columns.map((c) => csvCell(c.cell(row, CSV_FORMAT)))));
  return lines.join('');
}

function csvCell(cell: Cell): string | number | null | undefined {
  return typeof cell === 'boolean' ? String(cell) : cell;
}

/** `showing 50 of 1,234; raise --limit to see more` (the total when known). */
export function moreLine(shown: number, total: number | null, limitFlag = '--limit'): string {
  if (total === null) return `showing the first ${formatCount(shown)}; there are more: raise ${limitFlag} to see them`;
  return `showing ${formatCount(shown)} of ${formatCount(total)}; raise ${limitFlag} to see more`;
}
