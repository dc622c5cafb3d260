import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { UsageError } from '../shared/errors.js';

// A CSV file as records with the line each starts on, streamed (never read whole), its bytes
// hashed on the way. UTF-8 with or without BOM, LF or CRLF, quoted fields; invalid UTF-8 and
// broken quoting stop the read with the line number.

export interface CsvRecord {
  /** The line the record starts on, 1-based (the header is line 1 unless blank lines precede it). */
  line: number;
  fields: string[];
}

/** A record longer than this (characters) is refused: an overlong field or a runaway quote. */
export const MAX_RECORD_CHARS = 64 * 1024;

const NEWLINES = /\r\n|\r|\n/g;

/**
 * Yields the records of `path`. `hash`, when given, is fed every byte read; it is complete only
 * once the iteration has ended. Blank lines are skipped (and counted in the line numbers).
 */
export async function* readCsvRecords(path: string, hash?: Hash): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let linesDecoded = 1;
  const decode = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash?.update(chunk);
      try {
        const text = decoder.decode(chunk, { stream: true });
        linesDecoded += text.match(NEWLINES)?.length ?? 0;
        done(null, text);
      } catch {
        const upToBad = new TextDecoder('utf-8').decode(chunk).split('\uFFFD')[0] ?? '';
        const line = linesDecoded + (upToBad.match(NEWLINES)?.length ?? 0);
        done(new UsageError(`${path}: line ${line} is not valid UTF-8; save the file as UTF-8 and run again`));
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(new UsageError(`${path}: the file ends inside a UTF-8 character; save it as UTF-8 and run again`));
      }
    },
  });
  // csv-parse's own line count is off after a quoted CRLF (it counts two), so lines are counted
  // here: a record starts after the previous one ends and after the blank lines skipped since.
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    // Not detected from the first line: a file may mix line endings (rows pasted from elsewhere).
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  const flowing = pipeline(createReadStream(path), decode, parser);
  flowing.catch(() => {}); // reported by the iteration below
  let previousEnd = 0;
  let previousEmpty = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { empty_lines: number } }>) {
      const line = previousEnd + 1 + (item.info.empty_lines - previousEmpty);
      previousEmpty = item.info.empty_lines;
      previousEnd = line + item.record.reduce((n, field) => n + (field.match(NEWLINES)?.length ?? 0), 0);
      yield { line, fields: item.record };
    }
    await flowing;
  } catch (error) {
    throw explainReadError(path, error);
  } finally {
    parser.destroy();
  }
}

/** sha256 in hex of a whole file, streamed. */
export function sha256Hex(hash: Hash): string {
  return hash.digest('hex');
}

export function newSha256(): Hash {
  return createHash('sha256');
}

function explainReadError(path: string, error: unknown): unknown {
  if (error instanceof UsageError) return error;
  const err = error as NodeJS.ErrnoException & { lines?: number };
  if (err?.code && ['ENOENT', 'EACCES', 'EISDIR', 'EPERM'].includes(err.code)) {
    return new UsageError(`Cannot read ${path}: ${err.message}`, { cause: error });
  }
  if (typeof err?.code === 'string' && err.code.startsWith('CSV_')) {
    const where = err.lines ? `line ${err.lines}: ` : '';
    const what = err.code === 'CSV_MAX_RECORD_SIZE' ? `a row is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)` : err.message;
    return new UsageError(`${path}: ${where}${what}; fix the file and run again`, { cause: error });
  }
  return error;
}
