import type { CodeRow } from './checkRow.js';
import { copyLine } from './stage.js';
import { RedeemctlError } from '../shared/errors.js';

// The file, read ahead of the database: a producer turns the checked rows into COPY text, cut into
// chunks of rows, while the import's one connection loads and inserts the chunk before. The import
// is the database's work (indexes, WAL) and the file's (parsing, checks), and on two cores they
// run at the same time only if the file is read while the server inserts: a connection does one
// thing at a time, so the text waits here, bounded, for its turn (docs/codes.md, "How an import runs").

/** What a chunk held, known once its last row is produced. */
export interface ChunkTotals {
  rows: number;
  /** Rows without a problem: what the chunk would add to the pool, duplicates aside. */
  valid: number;
}

export interface ChunkFeedOptions {
  /** Rows in the first chunk: small, so the server starts early. Each next chunk doubles, up to maxRows. */
  firstRows: number;
  maxRows: number;
  /**
   * A chunk also ends at this much COPY text, and this much waits here at most (the producer waits
   * beyond it): the next chunk is read whole while the database inserts one, in bounded memory.
   */
  maxChunkChars: number;
}

// Text waits as bytes: off the JavaScript heap, so a piece held for a while is not copied from
// one generation of the heap to the next, and the heap stays small.
type Item = { text: Buffer } | { end: ChunkTotals } | { done: true } | { error: unknown };

const PIECE_CHARS = 64 * 1024;

/** The producer stopped because the consumer gave up (its error is the one that counts). */
class FeedCancelled extends RedeemctlError {}

export class ChunkFeed {
  private readonly items: Item[] = [];
  private queuedBytes = 0;
  private closed = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;
  private readonly producing: Promise<void>;
  /** The totals of the chunk pieces() last read to its end. */
  last: ChunkTotals = { rows: 0, valid: 0 };
  /** The file has been read to its end (its chunks may still wait here). */
  produced = false;

  constructor(
    source: AsyncIterable<CodeRow[]>,
    private readonly options: ChunkFeedOptions,
  ) {
    this.producing = this.produce(source);
  }

  /** True when another chunk follows (its pieces() may still be in the making); rethrows the file's error. */
  async nextChunk(): Promise<boolean> {
    const item = await this.peek();
    if ('error' in item) throw item.error;
    return !('done' in item);
  }

  /** The COPY text of the current chunk, as it is produced; sets `last` at its end. */
  async *pieces(): AsyncGenerator<string> {
    for (;;) {
      const item = await this.peek();
      if ('error' in item) throw item.error;
      if ('done' in item) return;
      this.take();
      if ('end' in item) {
        this.last = item.end;
        return;
      }
      yield item.text.toString();
    }
  }

  /** Valid rows in the chunks still waiting here, whole (once `produced`: all that is left). */
  queuedValid(): number {
    return this.items.reduce((sum, item) => sum + ('end' in item ? item.end.valid : 0), 0);
  }

  /** Stops the producer (the consumer failed or finished early) and waits for it to let go of the file. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeProducer?.();
    await this.producing;
  }

  private async produce(source: AsyncIterable<CodeRow[]>): Promise<void> {
    try {
      // Lines are joined into one flat string per piece: a piece waits here for a while, and a
      // string grown by += would keep every line as a separate object (several times the memory).
      let lines: string[] = [];
      let chars = 0;
      let chunkChars = 0;
      let totals: ChunkTotals = { rows: 0, valid: 0 };
      let target = this.options.firstRows;
      const flush = async () => {
        if (lines.length > 0) await this.put({ text: Buffer.from(lines.join('')) });
        lines = [];
        chars = 0;
      };
      for await (const batch of source) {
        for (const row of batch) {
          const line = copyLine(row);
          lines.push(line);
          chars += line.length;
          chunkChars += line.length;
          totals.rows++;
          if (row.problem === null) totals.valid++;
          if (totals.rows === target || chunkChars >= this.options.maxChunkChars) {
            await flush();
            await this.put({ end: totals });
            totals = { rows: 0, valid: 0 };
            chunkChars = 0;
            target = Math.min(target * 2, this.options.maxRows);
          } else if (chars >= PIECE_CHARS) {
            await flush();
          }
        }
      }
      if (totals.rows > 0) {
        await flush();
        await this.put({ end: totals });
      }
      this.produced = true;
      await this.put({ done: true });
    } catch (error) {
      if (!(error instanceof FeedCancelled)) this.push({ error });
    }
  }

  private async put(item: Item): Promise<void> {
    while (!this.closed && this.queuedBytes >= this.options.maxChunkChars) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    if (this.closed) throw new FeedCancelled('the import stopped reading the file');
    this.push(item);
  }

  private push(item: Item): void {
    if ('text' in item) this.queuedBytes += item.text.length;
    this.items.push(item);
    const wake = this.wakeConsumer;
    this.wakeConsumer = null;
    wake?.();
  }

  private async peek(): Promise<Item> {
    while (this.items.length === 0) await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    return this.items[0]!;
  }

  private take(): void {
    const item = this.items.shift()!;
    if ('text' in item) this.queuedBytes -= item.text.length;
    const wake = this.wakeProducer;
    this.wakeProducer = null;
    wake?.();
  }
}
