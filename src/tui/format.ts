// Text helpers for the panels: pure, so the figures on screen are unit-tested as strings.

import { formatTime } from '../shared/format.js';

// Counts, shares and latencies read as everywhere else in the tool (docs/output.md).
export { formatCount as count, formatPercent as percent, formatMs as millis } from '../shared/format.js';

/**
 * The time of day of an instant in UTC, with its zone: `14:05:03Z` (9 characters). The console's
 * times are the CLI's (formatTime, `2025-06-01T14:05:03Z`) cut to what a panel has room for, so
 * a time on screen matches `redemptions list`, `watch` and the logs, whatever the machine's TZ.
 */
export function clockTime(at: string | Date): string {
  return formatTime(at).slice(11);
}

/** `MM-DD HH:MMZ` in UTC (12 characters), for instants beyond today (UTC's today). */
export function dayTime(at: string | Date): string {
  const iso = formatTime(at);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}Z`;
}

/** Cut to `width` characters (with … when cut), then pad: left-aligned, or right with align 'right'. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...text];
  const cut = chars.length > width ? chars.slice(0, Math.max(0, width - 1)).join('') + '…' : text;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}
