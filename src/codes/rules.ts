// What a code-pool row may hold (docs/codes.md, "Limits"). Each check returns the problem as a
// sentence for the report, or null.

export const MAX_CODE_CHARS = 128;
export const MAX_LOT_CHARS = 100;
export const MAX_PARTNER_CHARS = 100;
/** How much of a rejected code the report keeps. */
export const REPORTED_CODE_CHARS = 200;

// Letters, marks, digits, punctuation and symbols: no spaces, no control, format (zero-width),
// private-use or unassigned characters.
const PRINTABLE_CODE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]+$/u;
const NOT_PRINTABLE_CODE = /[^\p{L}\p{M}\p{N}\p{P}\p{S}]/u;
// Labels (lot, partner) may also hold spaces.
const PRINTABLE_LABEL = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]*$/u;
const NOT_PRINTABLE_LABEL = /[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u;
const WHITESPACE = /[\s\p{Z}]/u;

function chars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function codePoint(char: string): string {
  return 'U+' + char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

export function checkCode(code: string): string | null {
  if (code === '') return 'code is empty';
  if (WHITESPACE.test(code)) return 'code has whitespace inside';
  if (code.length > MAX_CODE_CHARS && chars(code) > MAX_CODE_CHARS) {
    return `code is ${chars(code)} characters, over the limit of ${MAX_CODE_CHARS}`;
  }
  if (!PRINTABLE_CODE.test(code)) return `code has a control or invisible character (${codePoint(NOT_PRINTABLE_CODE.exec(code)![0])})`;
  if (code.includes('\uFFFD')) return 'code has U+FFFD, the replacement character (was the file converted from another encoding?)';
  return null;
}

export function checkLabel(name: string, value: string, max: number): string | null {
  if (value.length > max && chars(value) > max) return `${name} is ${chars(value)} characters, over the limit of ${max}`;
  if (!PRINTABLE_LABEL.test(value)) return `${name} has a control or invisible character (${codePoint(NOT_PRINTABLE_LABEL.exec(value)![0])})`;
  return null;
}

export type Expiry = { at: string; date: null } | { at: null; date: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)$/i;

function validDate(y: number, m: number, d: number): boolean {
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1]!;
}

/**
 * expires_at: a date (the code is good through that day, in the merchant's time zone) or a
 * date-time with an offset. A date-time without an offset is refused: which zone it meant is a
 * guess, and a wrong guess expires codes hours early or late.
 */
export function parseExpiry(raw: string): Expiry | string {
  const shown = JSON.stringify(forReport(raw));
  const bad = `expires_at ${shown}: expected a date (2030-12-31) or a date-time with an offset (2030-12-31T23:59:59Z)`;
  const date = DATE.exec(raw);
  if (date) return validDate(+date[1]!, +date[2]!, +date[3]!) ? { at: null, date: raw } : bad;
  const time = DATE_TIME.exec(raw);
  if (!time) return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(raw) ? `expires_at ${shown} has no offset: add one (Z, +07:00)` : bad;
  const [, y, mo, d, h, mi, s, oh, om] = time;
  const ok =
    validDate(+y!, +mo!, +d!) && +h! <= 23 && +mi! <= 59 && (s === undefined || +s <= 59) && (oh === undefined || +oh <= 14) && (om === undefined || +om <= 59);
  return ok ? { at: raw, date: null } : bad;
}

/** A rejected value as the report shows it: bounded, on one line, bindable as text. */
export function forReport(value: string): string {
  const short = value.length > REPORTED_CODE_CHARS ? value.slice(0, REPORTED_CODE_CHARS) + '…' : value;
  return short.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD');
}
