import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError } from './errors.js';

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** How a command words the two stops of the byte pass (each says what to do next in its own terms). */
export interface CsvBytesWording {
  utf16: (name: string) => string;
  lineTooLong: (name: string, line: number, maxBytes: number) => string;
}

export const DEFAULT_WORDING: CsvBytesWording = {
  utf16: (name) => `${name} is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8 and run again`,
  lineTooLong: (name, line, maxBytes) =>
    `${name} line ${line} is over ${maxBytes / 1024} KiB: check the delimiter (a comma), the quoting (an unclosed quote runs on) and the number of columns`,
};

export interface CsvBytesOptions {
  /** A physical line over this many bytes stops the read before csv-parse holds it (default: no limit). */
  maxLineBytes?: number;
  wording?: Partial<CsvBytesWording>;
}

/**
 * The first pass over a CSV's bytes, ahead of csv-parse: the file's sha256 and size, a UTF-16 file
 * refused, physical line lengths, and which lines are not valid UTF-8. csv-parse would quietly turn
 * bad bytes into U+FFFD, so the lines are recorded here (in order) for the record pass behind it,
 * which takes them off the queue as it reaches them: the queue only holds lines the parser has
 * not reached yet, a few chunks' worth, whatever the file size. Lines end at LF (CRLF ends in one).
 */
export class CsvBytes extends Transform {
  readonly invalidLines: number[] = [];
  /** The line the file ends on when it ends inside a UTF-8 character (an incomplete sequence), else null. */
  cutLine: number | null = null;
  bytes = 0;
  private line = 1;
  private lineBytes = 0;
  /** An incomplete UTF-8 sequence at the end of the last chunk, and the line it is on. */
  private tail: Buffer = EMPTY;
  private tailLine = 1;
  private readonly hash = createHash('sha256');
  private digest?: string;
  private readonly maxLineBytes: number;
  private readonly wording: CsvBytesWording;

  constructor(
    private readonly name: string,
    options: CsvBytesOptions = {},
  ) {
    super();
    this.maxLineBytes = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
    this.wording = { ...DEFAULT_WORDING, ...options.wording };
  }

  /** Hex sha256 of every byte, once the stream has ended. */
  get sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.bytes === 0 && startsWithUtf16Bom(chunk)) {
      done(new UsageError(this.wording.utf16(this.name)));
      return;
    }
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.checkUtf8(chunk);
    if (!this.countLines(chunk)) {
      done(new UsageError(this.wording.lineTooLong(this.name, this.line, this.maxLineBytes)));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.tail.length > 0) {
      this.invalidLines.push(this.tailLine);
      this.cutLine = this.tailLine;
    }
    done();
  }

  /** Advances the line count over the chunk; false when a line grew past maxLineBytes. */
  private countLines(chunk: Buffer): boolean {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, from)) {
      if (this.lineBytes + (at - from) > this.maxLineBytes) break;
      this.line++;
      this.lineBytes = 0;
      from = at + 1;
    }
    this.lineBytes += chunk.length - from;
    return this.lineBytes <= this.maxLineBytes;
  }

  private checkUtf8(chunk: Buffer): void {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const startLine = this.tail.length > 0 ? this.tailLine : this.line;
    const end = completeLength(data);
    if (!isUtf8(data.subarray(0, end))) findInvalidLines(data.subarray(0, end), startLine, this.invalidLines);
    this.tail = end < data.length ? Buffer.from(data.subarray(end)) : EMPTY;
    if (this.tail.length > 0) this.tailLine = this.line + countNewlines(chunk);
  }
}

function startsWithUtf16Bom(chunk: Buffer): boolean {
  return chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(NEWLINE); at !== -1; at = buf.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

/** Bytes up to the last complete UTF-8 sequence: a character split between chunks waits for the next. */
function completeLength(buf: Buffer): number {
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - 4); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > buf.length ? i : buf.length;
  }
  return buf.length;
}

/** The slow path, only for a chunk isUtf8 refused: walk it and note the lines of bad sequences. */
function findInvalidLines(buf: Buffer, line: number, out: number[]): void {
  const bad = () => {
    if (out[out.length - 1] !== line) out.push(line);
  };
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      if (b === NEWLINE) line++;
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (need === 0) {
      bad();
      i++;
      continue;
    }
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let j = 1;
    for (; j <= need; j++) {
      const c = buf[i + j];
      if (c === undefined || c < (j === 1 ? lo : 0x80) || c > (j === 1 ? hi : 0xbf)) break;
    }
    if (j <= need) {
      bad();
      i += j; // resume at the byte that broke the sequence (it may be a newline)
    } else i += need + 1;
  }
}
