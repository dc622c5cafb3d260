// Writing CSV cells, for every CSV file the tool writes (reports, exports). Two rules:
// - RFC 4180: a cell holding a comma, quote, CR or LF, or with leading or trailing space, is
//   quoted, its quotes doubled;
// - formula injection (OWASP, "CSV Injection"): a text cell a spreadsheet would run as a formula,
//   one starting with = + - @ or a tab or CR, is written with a leading apostrophe, which
//   spreadsheets read as "this is text". A code `=HYPERLINK(…)` comes back as `'=HYPERLINK(…)`.
//   A signed plain number (a phone number +15550200004, -5) is left as it is: a spreadsheet reads
//   it as a number, and nothing in it can call anything. docs/output.md.

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^[=+\-@\t\r]/;
const SIGNED_NUMBER = /^[+-]?\d+(\.\d+)?$/;

export type CsvValue = string | number | Date | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = value instanceof Date ? value.toISOString() : value;
  if (FORMULA_START.test(text) && !SIGNED_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, newline included. */
export function csvLine(values: CsvValue[]): string {
  return values.map(csvField).join(',') + '\n';
}
