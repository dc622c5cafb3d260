import { OutputFile } from '../shared/outputFile.js';

// Writing CSV (reports, exports) a chunk at a time, waiting for the destination to drain so a slow
// disk or pipe never makes the output pile up in memory. Cells: src/shared/csvWrite.ts.

/** Somewhere to write text: a file, or the command's stdout. */
export interface TextSink {
  write(text: string): Promise<void>;
  /** Done: a file sink now stands at its path. */
  close(): Promise<void>;
  /** Given up: a file sink removes what it wrote and leaves the path as it was. */
  discard?(): Promise<void>;
}

/**
 * A file written beside its path and renamed over it by close() (src/shared/outputFile.ts);
 * discard() leaves the path as it was. `inputs` are the files the command reads: refused as the path.
 */
export function fileSink(path: string, flag: string, inputs: readonly string[] = []): TextSink {
  const file = OutputFile.open(path, flag, inputs);
  return {
    async write(text) {
      file.write(text);
    },
    async close() {
      if (file.open) file.commit();
    },
    async discard() {
      if (file.open) file.discard();
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
