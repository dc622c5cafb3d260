// One way to print numbers and times in human output (tables, summaries, alert lines), the same on
// a terminal and through a pipe, and in the console (src/tui/format.ts re-exports these). Pure.
// `--json` never goes through here: its
// numbers stay raw and its times stay as the reports hold them. docs/output.md.

// Made on first use: building an Intl formatter loads ICU's number data, about 12 ms that a
// command printing no number (`--help`) should not pay (docs/benchmarks.md, "start").
let grouped: Intl.NumberFormat | undefined;
const GROUPED = { format: (value: number | bigint) => (grouped ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })).format(value) };
const FIXED = new Map<number, Intl.NumberFormat>();

/**
 * Counts and points: `12345` → `12,345`, `-1200` → `-1,200`. Whole numbers are what it is for; a
 * fraction keeps up to two decimals rather than being rounded away. A string that is not a plain
 * number comes back as it is; null and undefined print as nothing.
 * Identifiers that happen to be numbers (Kafka offsets and partitions, CSV line numbers, migration
 * ids) are not counts: print them raw, so they can be pasted back into a flag.
 */
export function formatCount(value: number | bigint | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return GROUPED.format(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (!/^-?\d+(\.\d+)?$/.test(text)) return value;
    return /^-?\d+$/.test(text) ? GROUPED.format(BigInt(text)) : GROUPED.format(Number(text));
  }
  return Number.isFinite(value) ? GROUPED.format(value) : String(value);
}

/** A figure with exactly `digits` decimals, grouped: `formatDecimal(1234.5, 2)` → `1,234.50`. */
export function formatDecimal(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  let format = FIXED.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    FIXED.set(digits, format);
  }
  return format.format(value);
}

/** A share of 1 as a percentage with one decimal: `0.2381` → `23.8%`. */
export function formatPercent(share: number): string {
  return `${formatDecimal(share * 100, 1)}%`;
}

/** A duration in milliseconds, with its unit: `4.2 ms`, `310 ms`, `1.25 s`; `–` for none. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value >= 1000) return `${formatDecimal(value / 1000, 2)} s`;
  if (value >= 100) return `${formatCount(Math.round(value))} ms`;
  return `${formatDecimal(value, 1)} ms`;
}

/**
 * An instant as ISO-8601 in UTC to the second, with its zone: `2025-06-01T12:00:00Z`. Takes a
 * Date, epoch milliseconds or a parseable string (any zone in, UTC out); null, undefined and ''
 * print as nothing, and a string that is not a time comes back as it is.
 */
export function formatTime(at: Date | string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return '';
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
