// Text helpers for the panels: pure, so the figures on screen are unit-tested as strings.

import { formatTime } from '../shared/format.js';

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345 → "12,345" */
export function count(value: number): string {
  return GROUPED.format(value);
}

/** 0.2381 → "23.8%" */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Milliseconds as the latency panel shows them: "4.2 ms", "310 ms", "1.25 s", "–" for none. */
export function millis(value: number | null): string {
  if (value === null) return '–';
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

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
