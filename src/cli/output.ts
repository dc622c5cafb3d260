import { createRequire } from 'node:module';
import type CliTable3 from 'cli-table3';
import type { CliIO } from '../shared/io.js';

// Human output: colour, tables, JSON and lines. Tables (docs/output.md):
// - stdout a terminal: cli-table3 with borders, fitted to the terminal's width (io.stdout.columns,
//   else COLUMNS): first the columns the caller marked droppable go, in their order, then long
//   cells wrap; a dim line under the table names what was left out.
// - stdout not a terminal (a pipe, a file): plain columns for grep and awk: the header row, then
//   the rows, cells padded and two spaces apart, no borders, no trailing spaces, nothing cut.

// Colour only on a TTY, never under NO_COLOR (https://no-color.org) or in JSON.
export function useColour(io: CliIO): boolean {
  return Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(io: CliIO, colour: Colour, text: string): string {
  return useColour(io) ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** A table column: its header, and whether it may be left out when the terminal is too narrow. */
export interface ColumnSpec {
  head: string;
  /**
   * Set: the column may be dropped to fit the terminal; 1 goes first, then 2, … (equal numbers:
   * the rightmost first). Unset: always shown (its cells wrap instead).
   */
  drop?: number;
}

export type Cell = string | number | boolean | null | undefined;

/** The width to fit, in columns: a terminal's, or COLUMNS for a terminal that does not say; else none. */
export function terminalWidth(io: CliIO): number | undefined {
  if (!io.stdout.isTTY) return undefined;
  const columns = io.stdout.columns;
  if (typeof columns === 'number' && columns > 0) return columns;
  const fromEnv = Number(io.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
}

export function table(io: CliIO, head: Array<string | ColumnSpec>, rows: Cell[][]): string {
  const columns = head.map((h): ColumnSpec => (typeof h === 'string' ? { head: h } : h));
  const cells = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  if (!io.stdout.isTTY) return plainTable(columns.map((c) => c.head), cells);
  return borderedTable(io, columns, cells, true);
}

/** Two columns, label and value, for one record. */
export function keyValues(io: CliIO, pairs: Array<[string, Cell]>): string {
  const cells = pairs.map(([key, value]) => [key, cellText(value)]);
  if (!io.stdout.isTTY) return plainTable(null, cells);
  return borderedTable(io, [{ head: '' }, { head: '' }], cells, false);
}

function cellText(cell: Cell): string {
  return cell === null || cell === undefined ? '' : String(cell);
}

// ---- plain --------------------------------------------------------------------------------------

const GAP = '  ';

/** Header (when given) then rows; each column as wide as its widest cell; two spaces between. */
export function plainTable(head: string[] | null, rows: string[][]): string {
  const all = head ? [head, ...rows] : rows;
  const count = widest(all, (r) => r.length);
  const widths = Array.from({ length: count }, (_, i) => widest(all, (r) => widest((r[i] ?? '').split('\n'), displayWidth)));
  const lines: string[] = [];
  for (const row of all) {
    const split = Array.from({ length: count }, (_, i) => (row[i] ?? '').split('\n'));
    const height = Math.max(1, widest(split, (s) => s.length));
    for (let line = 0; line < height; line++) {
      const text = split.map((s, i) => pad(s[line] ?? '', widths[i]!)).join(GAP);
      lines.push(text.trimEnd());
    }
  }
  return lines.join('\n');
}

/** The largest measure of any item, 0 for none (a loop: tables can have more rows than arguments fit in a call). */
function widest<T>(items: T[], measure: (item: T) => number): number {
  let most = 0;
  for (const item of items) most = Math.max(most, measure(item));
  return most;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

// ---- bordered -----------------------------------------------------------------------------------

// cli-table3 (with @colors/colors under it, 77 KB of the bundle) is loaded by the first bordered
// table only: a command that draws none (`--help`, `--json`, a pipe) does not pay for it
// (docs/benchmarks.md, "start"). Through Node's require, which neither tsc nor esbuild rewrites.
const requireAtRunTime = createRequire(import.meta.url);
let tableClass: typeof CliTable3 | undefined;
const Table = (): typeof CliTable3 => (tableClass ??= requireAtRunTime('cli-table3') as typeof CliTable3);

/** cli-table3's default padding: one space each side of a cell's content. */
const PADDING = 2;

function borderedTable(io: CliIO, columns: ColumnSpec[], rows: string[][], withHead: boolean): string {
  const colour = useColour(io);
  const width = terminalWidth(io);
  const heads = columns.map((c) => c.head);
  const fit = width === undefined ? undefined : fitColumns(columns, withHead ? [heads, ...rows] : rows, width);
  const keep = fit?.keep ?? columns.map((_, i) => i);
  const wrap = (text: string, i: number) => (fit ? wrapText(text, fit.widths[i]!).join('\n') : text);

  const t = new (Table())({
    ...(withHead ? { head: keep.map((c, i) => wrap(heads[c]!, i)) } : {}),
    ...(fit ? { colWidths: fit.widths.map((w) => w + PADDING) } : {}),
    style: { head: colour && withHead ? ['cyan'] : [], border: colour ? ['grey'] : [] },
  });
  for (const row of rows) t.push(keep.map((c, i) => wrap(row[c]!, i)));
  const text = t.toString();
  if (!fit || fit.dropped.length === 0) return text;
  const names = fit.dropped.map((i) => columns[i]!.head || `column ${i + 1}`).join(', ');
  const why = wrapText(`not shown at ${width} columns: ${names} (a wider terminal or --json shows them)`, width!);
  return [text, ...why.map((line) => paint(io, 'dim', line))].join('\n');
}

export interface Fit {
  /** The columns shown, by index, in their order. */
  keep: number[];
  /** Left out to fit, in the order they were dropped. */
  dropped: number[];
  /** Content width of each kept column (without padding), cells wrapped to it. */
  widths: number[];
}

/**
 * Which columns to show and how wide, so the bordered table is at most `width` wide: droppable
 * columns go first (by `drop`), then the widest columns shrink and wrap. Words are kept whole
 * where there is room for every column's longest word; only when there is not are they cut.
 * A table that cannot fit even one character per column comes out wider than asked.
 */
export function fitColumns(columns: ColumnSpec[], rows: string[][], width: number): Fit {
  const natural = columns.map((_, i) => Math.max(1, widest(rows, (r) => widest((r[i] ?? '').split('\n'), displayWidth))));
  const longestWord = columns.map((_, i) => Math.max(1, widest(rows, (r) => widest((r[i] ?? '').split(/\s+/), displayWidth))));
  const outer = (keep: number[]) => keep.reduce((sum, i) => sum + natural[i]! + PADDING, 0) + keep.length + 1;

  let keep = columns.map((_, i) => i);
  const dropped: number[] = [];
  const droppable = keep
    .filter((i) => columns[i]!.drop !== undefined)
    .sort((a, b) => columns[a]!.drop! - columns[b]!.drop! || b - a);
  for (const i of droppable) {
    if (outer(keep) <= width) break;
    keep = keep.filter((k) => k !== i);
    dropped.push(i);
  }

  const budget = width - keep.length * (PADDING + 1) - 1;
  const needs = keep.map((i) => natural[i]!);
  if (needs.reduce((a, b) => a + b, 0) <= budget) return { keep, dropped, widths: needs };
  const floors = keep.map((i) => Math.min(natural[i]!, longestWord[i]!));
  const floorSum = floors.reduce((a, b) => a + b, 0);
  const widths =
    floorSum <= budget
      ? share(needs.map((n, k) => n - floors[k]!), budget - floorSum).map((extra, k) => floors[k]! + extra)
      : share(floors, budget);
  return { keep, dropped, widths: widths.map((w) => Math.max(1, w)) };
}

/** Splits `budget` among needs, fairly: small needs are met whole, the rest share what is left equally. */
export function share(needs: number[], budget: number): number[] {
  const given = needs.map(() => 0);
  let left = Math.max(0, budget);
  let open = needs.map((_, i) => i).sort((a, b) => needs[a]! - needs[b]!);
  while (open.length > 0) {
    const each = Math.floor(left / open.length);
    const met = open.filter((i) => needs[i]! <= each);
    if (met.length === 0) {
      // Everyone left needs more than an equal share: split it, the remainder to the leftmost.
      const byPosition = [...open].sort((a, b) => a - b);
      byPosition.forEach((i, k) => (given[i] = each + (k < left - each * open.length ? 1 : 0)));
      break;
    }
    for (const i of met) {
      given[i] = needs[i]!;
      left -= needs[i]!;
    }
    open = open.filter((i) => !met.includes(i));
  }
  return given;
}

// ---- text width and wrapping --------------------------------------------------------------------

const ANSI = /\u001b\[[0-9;]*m/g;
const TOKEN = /\u001b\[[0-9;]*m|[\s\S]/gu;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\ufe0f]$/u;
const WIDE =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]$/u;

function charWidth(ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** Columns a line takes on a terminal: colour codes take none, CJK and emoji two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ANSI, '')) width += charWidth(ch);
  return width;
}

/**
 * Lines of at most `width` columns: broken between words, and inside a word only when it is
 * longer than a line. Colour codes are kept (cli-table3 carries a colour on to the next line).
 */
export function wrapText(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (displayWidth(line) <= max) {
      out.push(line);
      continue;
    }
    let current = '';
    let used = 0;
    const start = (word: string) => {
      const pieces = cut(word, max);
      out.push(...pieces.slice(0, -1));
      current = pieces[pieces.length - 1]!;
      used = displayWidth(current);
    };
    for (const word of line.split(' ').filter((w) => w !== '')) {
      const w = displayWidth(word);
      if (current === '') start(word);
      else if (used + 1 + w <= max) {
        current += ' ' + word;
        used += 1 + w;
      } else {
        out.push(current);
        start(word);
      }
    }
    out.push(current);
  }
  return out;
}

/** A word in pieces of at most `width` columns (a colour code stays in the piece it falls in). */
function cut(word: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const token of word.match(TOKEN) ?? []) {
    const w = token.startsWith('\u001b') ? 0 : charWidth(token);
    if (used + w > width && used > 0) {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += token;
    used += w;
  }
  pieces.push(piece);
  return pieces;
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function writeLine(io: CliIO, text = ''): void {
  io.stdout.write(text + '\n');
}

/** Logs, progress and warnings: stderr, so --json stays one document on stdout; none under --quiet. */
export function note(io: CliIO, text: string): void {
  if (io.quiet) return;
  io.stderr.write(text + '\n');
}

/**
 * The I/O a command gets under --quiet (docs/output.md): note() prints nothing, and when no person
 * is at the keyboard (stdin not a terminal: a script) nothing a command writes to stderr itself
 * (progress, hints) is printed either. Errors are printed by src/cli/main.ts through the process's
 * own I/O, so they still show, and exit codes do not change. At a terminal stderr is kept, so a
 * confirmation question (src/cli/confirm.ts) is still seen.
 */
export function quietIO(io: CliIO): CliIO {
  if (io.stdin?.isTTY) return { ...io, quiet: true };
  return { ...io, quiet: true, stderr: { write: () => true, isTTY: io.stderr.isTTY } };
}
