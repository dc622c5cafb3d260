import { stat } from 'node:fs/promises';
import type { CsvError } from 'csv-parse';
import { CsvFile, isBlank, isUnreadable, MAX_RECORD_CHARS, type CsvItem } from '../shared/csv.js';
import { UsageError } from '../shared/errors.js';
import { readHeader, type Header } from './header.js';
import { checkRow, type CodeRow } from './checkRow.js';

export type { CodeRow } from './checkRow.js';

/**
 * A code-pool row is well under 1 KiB. A physical line over this is a broken file (an unclosed
 * quote, the wrong delimiter, a million columns): it stops the read before csv-parse holds it.
 */
const MAX_LINE_BYTES = 64 * 1024;

export interface CsvOptions {
  /** The lot of rows whose lot column is empty or absent (--lot). */
  defaultLot?: string | null;
  otherColumns?: 'refuse' | 'ignore';
  /** Called every few thousand rows with the bytes read so far. */
  onProgress?: (bytes: number, rows: number) => void;
}

/**
 * A code-pool CSV, streamed through the shared reader (src/shared/csv.ts: sha256, UTF-8, line
 * numbers) into rows with their problems. Memory stays flat whatever the file size; the caller
 * consumes rows() once, then reads the counts and the sha256. Line numbers are physical lines of
 * the file (the header is usually line 1). Blank lines (and rows whose fields are all empty) are
 * skipped and counted. Bytes that are not UTF-8 make their row invalid, not the file.
 */
export class CodeCsv {
  rowsRead = 0;
  invalid = 0;
  blankLines = 0;
  private readonly file: CsvFile;
  private header?: Header;

  constructor(
    readonly path: string,
    /** How messages name the file. */
    readonly name: string,
    private readonly options: CsvOptions = {},
  ) {
    this.file = new CsvFile(path, {
      name,
      maxLineBytes: MAX_LINE_BYTES,
      wording: {
        utf16: (file) => `${file} is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8 and import it again`,
        lineTooLong: (file, line, maxBytes) =>
          `${file} line ${line} is over ${maxBytes / 1024} KiB, and a code-pool row is under 1 KiB: ` +
          'check the delimiter (a comma), the quoting (an unclosed quote runs on) and the number of columns',
      },
    });
  }

  get sha256(): string {
    return this.file.sha256;
  }
  get bytes(): number {
    return this.file.bytes;
  }

  /** The rows in file order, in batches of whatever csv-parse has ready (one await per batch, not per row). */
  async *rows(): AsyncGenerator<CodeRow[]> {
    for await (const items of this.file.records()) {
      const rows: CodeRow[] = [];
      for (const item of items) {
        const row = this.take(item);
        if (row) rows.push(row);
      }
      if (rows.length > 0) yield rows;
    }
    if (!this.header) throw new UsageError(`${this.name} is empty: a code-pool CSV starts with a header row naming a code column`);
  }

  /** One record (or one csv-parse could not read): a data row, or null for the header and blank lines. */
  private take(item: CsvItem): CodeRow | null {
    if (isUnreadable(item)) {
      // A quote inside an unquoted field ends with its line: that row is bad, the file goes on.
      // Any other quoting error leaves no way to tell where the next row starts.
      if (!this.header || item.error.code !== 'INVALID_OPENING_QUOTE') throw this.unreadable(item.error, item.line);
      const problem = 'bad quoting: a quote inside an unquoted field (quote the whole field and double the quote: "AB""C")';
      return this.count({ line: item.line, code: '', lot: null, partner: null, expiresAt: null, expiresDate: null, problem });
    }
    const { line, fields, invalidUtf8 } = item;
    if (isBlank(fields)) {
      this.blankLines++;
      return null;
    }
    if (!this.header) {
      if (invalidUtf8) throw new UsageError(`${this.name} line ${line} (the header) is not valid UTF-8: save the file as UTF-8`);
      this.header = readHeader(fields, this.name, line, this.options.otherColumns ?? 'refuse');
      return null;
    }
    const row = checkRow(fields, this.header, line, this.options.defaultLot ?? null);
    if (invalidUtf8) row.problem = 'not valid UTF-8 (save the file as UTF-8)';
    return this.count(row);
  }

  private count(row: CodeRow): CodeRow {
    this.rowsRead++;
    if (row.problem !== null) this.invalid++;
    if (this.options.onProgress && this.rowsRead % 4096 === 0) this.options.onProgress(this.file.bytes, this.rowsRead);
    return row;
  }

  private unreadable(error: CsvError, line: number): UsageError {
    const at = `${this.name} line ${line}`;
    const seen = Number(error.lines);
    const detected = seen > line ? ` (noticed on line ${seen})` : '';
    const why: Record<string, string> = {
      CSV_QUOTE_NOT_CLOSED: 'a quoted field opened here is never closed: the file ends inside it',
      CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters (inside a quoted field, write a quote as two quotes: "AB""C")',
      CSV_MAX_RECORD_SIZE: `the record is over ${MAX_RECORD_CHARS} characters: an unclosed quote runs on`,
      INVALID_OPENING_QUOTE: 'the header has a quote inside an unquoted field',
    };
    return new UsageError(`${at}: bad CSV: ${why[error.code] ?? error.message}${detected}`, { cause: error });
  }
}

/** The input's size in bytes (for progress), or a usage error naming the path. */
export async function inputSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${path} is not a file: give the CSV to read`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
