import { csvField } from '../shared/csvWrite.js';
import { OutputFile } from '../shared/outputFile.js';
import type { RowResult } from './types.js';

// The per-row report CSV (--report OUT), one line per data row in file order. Written with
// writeSync as rows complete, to `<OUT>.partial`, renamed to OUT when the run ends (completed,
// refused or interrupted): a run killed part-way leaves every finished row in the partial file and
// the path as it was; the next run writes the report complete.

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
  private constructor(private readonly file: OutputFile) {}

  /**
   * Opens `<path>.partial` and writes the header; the report stands at its path when closed
   * (src/shared/outputFile.ts). A path that is the input file is refused.
   */
  static open(path: string, input: string): ReportFile {
    const report = new ReportFile(OutputFile.open(path, '--report', [input]));
    report.file.write(REPORT_COLUMNS.join(',') + '\n');
    return report;
  }

  get path(): string {
    return this.file.path;
  }

  /** Rows already in file order. */
  append(rows: RowResult[]): void {
    if (rows.length > 0) this.file.write(rows.map((row) => reportLine(row) + '\n').join(''));
  }

  /** Every row the run finished is in it (an interrupted run's too): it replaces the path. */
  close(): void {
    if (this.file.open) this.file.commit();
  }
}
