import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../shared/errors.js';
import type { RowResult } from './types.js';

// The per-row report CSV (--report OUT), one line per data row in file order. Written with
// writeSync as rows complete, so a run killed part-way leaves every finished row on disk; the
// next run truncates the file and writes it complete.

export const REPORT_COLUMNS = [
  'row',
  'member',
  'reward',
  'quantity',
  'outcome',
  'error_code',
  'message',
  'event_id',
  'redemption_codes',
  'promo_codes',
] as const;

/** RFC 4180: quoted when it holds a comma, quote, CR or LF, or leading or trailing space. */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportLine(row: RowResult): string {
  return [
    row.line,
    row.member,
    row.reward,
    row.quantity,
    row.outcome,
    row.error_code,
    row.message,
    row.event_id,
    row.redemption_codes.join(';'),
    row.promo_codes.join(';'),
  ]
    .map(csvField)
    .join(',');
}

export class ReportFile {
  private constructor(
    readonly path: string,
    private fd: number | null,
  ) {}

  /** Creates (or truncates) the file and writes the header. */
  static open(path: string): ReportFile {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new UsageError(`Cannot write the report ${path}: ${(error as Error).message}; check --report`, { cause: error });
    }
    const file = new ReportFile(path, fd);
    file.write(REPORT_COLUMNS.join(',') + '\n');
    return file;
  }

  /** Rows already in file order. */
  append(rows: RowResult[]): void {
    if (rows.length > 0) this.write(rows.map((row) => reportLine(row) + '\n').join(''));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(text: string): void {
    if (this.fd === null) throw new Error(`report ${this.path} is closed`);
    writeSync(this.fd, text);
  }
}
