// Bars and columns from block characters, pure: the throughput chart, the quantity and failure
// bars, the pool detail's hourly sparkline. Widths are in terminal cells (one per character).

const EIGHTHS_UP = ['', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS_RIGHT = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/** A horizontal bar of `value / max` of `width` cells, in eighths; never empty for a value above 0. */
export function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0 || width <= 0) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS_RIGHT[eighths % 8];
}

/**
 * Columns `height` rows tall, top row first, one character per value: the value's share of the
 * largest in eighths of the height. A value above 0 shows at least ▁, a zero shows `zero`.
 */
export function columns(values: number[], height: number, zero = ' '): string[] {
  const max = Math.max(0, ...values);
  const levels = values.map((v) => (v <= 0 || max === 0 ? 0 : Math.max(1, Math.round((v / max) * height * 8))));
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    rows.push(
      levels
        .map((level, i) => {
          const inRow = Math.min(8, Math.max(0, level - row * 8));
          if (inRow > 0) return EIGHTHS_UP[inRow]!;
          return row === 0 && values[i]! <= 0 ? zero : ' ';
        })
        .join(''),
    );
  }
  return rows;
}

/** One-row columns. */
export function sparkline(values: number[], zero = '·'): string {
  return columns(values, 1, zero)[0]!;
}

/**
 * Sums of `per` consecutive values, counted from the newest (the last), so the last column is
 * always the latest minutes and only the oldest group may be shorter: 60 minutes into 30 columns.
 */
export function group(values: number[], per: number): number[] {
  if (per <= 1) return values;
  const out: number[] = [];
  for (let end = values.length; end > 0; end -= per) out.unshift(values.slice(Math.max(0, end - per), end).reduce((a, b) => a + b, 0));
  return out;
}
