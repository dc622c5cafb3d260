import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from '../shared/errors.js';

// Writing CSV (reports, exports) a chunk at a time, waiting for the destination to drain so a slow
// disk or pipe never makes the output pile up in memory.

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvField(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: Array<string | number | Date | null | undefined>): string {
  return values.map(csvField).join(',') + '\n';
}

/** Somewhere to write text: a file, or the command's stdout. */
export interface TextSink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export async function fileSink(path: string, flag: string): Promise<TextSink> {
  const stream: WriteStream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write it: ${(error as Error).message}`, { cause: error });
  }
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await once(stream, 'finish');
    },
  };
}

type Writer = { write(chunk: string): unknown; once?: (event: 'drain', listener: () => void) => unknown };

/** stdout: a real stream is waited on when full; a test's buffer never is. */
export function streamSink(out: Writer): TextSink {
  return {
    async write(text) {
      if (out.write(text) === false && typeof out.once === 'function') {
        await new Promise<void>((resolve) => out.once!('drain', resolve));
      }
    },
    async close() {},
  };
}

/** Lines gathered into chunks of about 64 KiB before they are written. */
export class ChunkedWriter {
  private pending = '';
  constructor(private readonly sink: TextSink) {}

  async line(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= 65_536) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    await this.sink.write(text);
  }
}
