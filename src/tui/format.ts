// Text helpers for the panels: pure, so the figures on screen are unit-tested as strings.

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

/** The local wall-clock time of an instant, HH:MM:SS (the operator's zone, TZ). */
export function clockTime(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** MM-DD HH:MM in local time, for instants beyond today. */
export function dayTime(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Cut to `width` characters (with … when cut), then pad: left-aligned, or right with align 'right'. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...text];
  const cut = chars.length > width ? chars.slice(0, Math.max(0, width - 1)).join('') + '…' : text;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}
