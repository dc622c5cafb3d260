import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { UsageError } from '../shared/errors.js';
import { ByteGuard, MAX_LINE_BYTES } from './byteGuard.js';
import { readHeader, type Header } from './header.js';
import { checkRow, type CodeRow } from './checkRow.js';

export type { CodeRow } from './checkRow.js';

export interface CsvOptions {
  /** The lot of rows whose lot column is empty or absent (--lot). */
  defaultLot?: string | null;
  otherColumns?: 'refuse' | 'ignore';
  /** Called every few thousand rows with the bytes read so far. */
  onProgress?: (bytes: number, rows: number) => void;
}

/** A record csv-parse could not read, put in the record stream where it happened. */
class Unreadable {
  constructor(readonly error: CsvError) {}
}

/**
 * A code-pool CSV, streamed: bytes → ByteGuard (sha256, UTF-8, line length) → csv-parse → rows
 * with their line numbers and problems. Memory stays flat whatever the file size; the caller
 * consumes rows() once, then reads the counts and the sha256.
 *
 * Line numbers are physical lines of the file (the header is usually line 1), counted here:
 * csv-parse's own per-record info more than doubles the parse (4.1 s against 1.6 s for 1,000,000
 * rows). Blank lines (and rows whose fields are all empty) are skipped and counted.
 */
export class CodeCsv {
  rowsRead = 0;
  invalid = 0;
  blankLines = 0;
  private readonly guard: ByteGuard;

  constructor(
    readonly path: string,
    /** How messages name the file. */
    readonly name: string,
    private readonly options: CsvOptions = {},
  ) {
    this.guard = new ByteGuard(name);
  }

  get sha256(): string {
    return this.guard.sha256;
  }
  get bytes(): number {
    return this.guard.bytes;
  }

  /** The rows in file order, in batches of whatever csv-parse has ready (one await per batch, not per row). */
  async *rows(): AsyncGenerator<CodeRow[]> {
    const guard = this.guard;
    const parser = parse({
      bom: true,
      relax_column_count: true,
      record_delimiter: ['\r\n', '\n'],
      max_record_size: MAX_LINE_BYTES,
      // A record csv-parse cannot read goes into the stream in its place; rows() decides.
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) parser.push(new Unreadable(error));
        return undefined;
      },
    });
    const flow = pipeline(createReadStream(this.path, { highWaterMark: 64 * 1024 }), guard, parser);
    flow.catch(() => {}); // its errors surface through the iteration below
    try {
      for await (const items of batches(parser as Readable & AsyncIterable<string[] | Unreadable>)) {
        const rows: CodeRow[] = [];
        for (const item of items) {
          const row = this.take(item);
          if (row) rows.push(row);
        }
        if (rows.length > 0) yield rows;
      }
      await flow;
    } finally {
      parser.destroy();
    }
    if (!this.header) throw new UsageError(`${this.name} is empty: a code-pool CSV starts with a header row naming a code column`);
  }

  private header?: Header;
  /** The line the last record ended on. */
  private lastLine = 0;

  /** One record (or one csv-parse could not read): a data row, or null for the header and blank lines. */
  private take(item: string[] | Unreadable): CodeRow | null {
    const line = this.lastLine + 1;
    if (item instanceof Unreadable) {
      this.lastLine = Math.max(line, Number(item.error.lines) || line);
      // A quote inside an unquoted field ends with its line: that row is bad, the file goes on.
      // Any other quoting error leaves no way to tell where the next row starts.
      if (!this.header || item.error.code !== 'INVALID_OPENING_QUOTE') throw this.unreadable(item.error, line);
      const problem = 'bad quoting: a quote inside an unquoted field (quote the whole field and double the quote: "AB""C")';
      return this.count({ line, code: '', lot: null, partner: null, expiresAt: null, expiresDate: null, problem });
    }
    this.lastLine = line;
    for (const field of item) if (field.includes('\n')) this.lastLine += field.split('\n').length - 1;
    const badUtf8 = this.takeInvalidUtf8(line, this.lastLine);
    if (item.every((field) => field.trim() === '')) {
      this.blankLines++;
      return null;
    }
    if (!this.header) {
      if (badUtf8) throw new UsageError(`${this.name} line ${line} (the header) is not valid UTF-8: save the file as UTF-8`);
      this.header = readHeader(item, this.name, line, this.options.otherColumns ?? 'refuse');
      return null;
    }
    const row = checkRow(item, this.header, line, this.options.defaultLot ?? null);
    if (badUtf8) row.problem = 'not valid UTF-8 (save the file as UTF-8)';
    return this.count(row);
  }

  private count(row: CodeRow): CodeRow {
    this.rowsRead++;
    if (row.problem !== null) this.invalid++;
    if (this.options.onProgress && this.rowsRead % 4096 === 0) this.options.onProgress(this.guard.bytes, this.rowsRead);
    return row;
  }

  /** Whether any of these lines held bytes that are not UTF-8; forgets them either way. */
  private takeInvalidUtf8(first: number, last: number): boolean {
    const queue = this.guard.invalidLines;
    let found = false;
    while (queue.length > 0 && queue[0]! <= last) {
      if (queue.shift()! >= first) found = true;
    }
    return found;
  }

  private unreadable(error: CsvError, line: number): UsageError {
    const at = `${this.name} line ${line}`;
    const seen = Number(error.lines);
    const detected = seen > line ? ` (noticed on line ${seen})` : '';
    const why: Record<string, string> = {
      CSV_QUOTE_NOT_CLOSED: 'a quoted field opened here is never closed: the file ends inside it',
      CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters (inside a quoted field, write a quote as two quotes: "AB""C")',
      CSV_MAX_RECORD_SIZE: `the record is over ${MAX_LINE_BYTES} characters: an unclosed quote runs on`,
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

/** A stream's objects, a batch at a time: each await takes what is already buffered (up to 4096). */
async function* batches<T>(stream: Readable & AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const first of stream) {
    const batch: T[] = [first];
    for (let next: T | null; batch.length < 4096 && (next = stream.read() as T | null) !== null; ) batch.push(next);
    yield batch;
  }
}
