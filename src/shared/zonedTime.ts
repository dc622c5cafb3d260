import { formatTime } from './format.js';

// Times for people in the merchant's time zone (docs/output.md, "Times"). Pure.
//
// A time in a zone prints as ISO-8601 with that zone's offset at that instant, to the second:
// `2025-06-01T14:00:00+02:00` in Europe/Paris in summer, `2025-01-15T13:00:00+01:00` in winter. It
// stays one instant that `--since` reads back exactly, whatever the reader's zone, and the offset
// follows daylight saving time. The zone's name is said once, in a column's or a label's header
// (`redeemed at (Europe/Paris)`). In UTC nothing changes: `2025-06-01T12:00:00Z`, headers as they are.

/** How times are shown: in one IANA zone, or in UTC. */
export interface TimeView {
  /** The IANA name (`Europe/Paris`), or `UTC`. */
  zone: string;
  /** Shown in UTC (`Z`); headers are left as they are. */
  utc: boolean;
  /** An instant in the zone, to the second; '' for none, a string that is not a time as it is. */
  time(at: Date | string | number | null | undefined): string;
  /** A header or label of a time column, naming the zone unless UTC: `created (Europe/Paris)`. */
  head(label: string): string;
}

/** Times in UTC, as every time was shown before zones: formatTime. */
export const UTC_VIEW: TimeView = { zone: 'UTC', utc: true, time: formatTime, head: (label) => label };

/** Names that are UTC itself: shown with `Z`, and no zone named in headers. */
const UTC_NAMES = new Set(['utc', 'etc/utc', 'etc/uct', 'uct', 'zulu', 'etc/zulu', 'universal', 'etc/universal']);

/** `{view}` for the zone, or `{view: UTC_VIEW, unknown: true}` when this Node does not know it. */
export function timeViewFor(zone: string | null | undefined): { view: TimeView; unknown: boolean } {
  const name = (zone ?? '').trim();
  if (name === '' || UTC_NAMES.has(name.toLowerCase())) return { view: UTC_VIEW, unknown: false };
  let parts: Intl.DateTimeFormat;
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return { view: UTC_VIEW, unknown: true };
  }
  const view: TimeView = {
    zone: name,
    utc: false,
    time: (at) => zonedTime(parts, at),
    head: (label) => `${label} (${name})`,
  };
  return { view, unknown: false };
}

function zonedTime(parts: Intl.DateTimeFormat, at: Date | string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return '';
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const f = Object.fromEntries(parts.formatToParts(whole).map((p) => [p.type, p.value])) as Record<string, string>;
  // The wall clock read as if it were UTC, minus the instant: the zone's offset then.
  const wall = Date.UTC(Number(f.year), Number(f.month) - 1, Number(f.day), Number(f.hour), Number(f.minute), Number(f.second));
  const offsetMinutes = Math.round((wall - whole.getTime()) / 60_000);
  return `${f.year}-${f.month}-${f.day}T${f.hour}:${f.minute}:${f.second}${offsetText(offsetMinutes)}`;
}

/** 120 → `+02:00`, -330 → `-05:30`, 0 → `+00:00` (a zone that is not UTC itself, e.g. Africa/Abidjan). */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
