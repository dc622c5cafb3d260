import type { RawConnection } from '../db/database.js';
import type { CodeRow } from './checkRow.js';
import { ChunkFeed, type ChunkFeedOptions } from './chunkFeed.js';
import { insertPart, type PoolTarget } from './insertPool.js';
import { copyIntoStagePart, createStagePart } from './stage.js';

/**
 * Parts of the file: the first 16,384 rows, so the server starts at once; each next one twice as
 * many, up to a million rows or 8 MB of COPY text (about 250,000 codes of 20 characters). The
 * next part is read while one is inserted, so up to 8 MB of text waits in Node (docs/codes.md).
 */
const FEED = { firstRows: 16_384, maxRows: 1_048_576, maxChunkChars: 8 << 20 };

/**
 * Parts inserted optimistically, each in its own savepoint (a subtransaction with its own
 * transaction id). PostgreSQL keeps up to 64 of them per session in shared memory; beyond that
 * every other session's snapshot checks consult pg_subtrans while the import lasts, a known
 * slowdown of busy servers. So past 60 parts (about 14 million codes of 20 characters) the import
 * inserts carefully, without savepoints.
 */
const MAX_SAVEPOINTS = 60;

export interface LoadPlan {
  /** The pool the codes go into as the file is read; null: staged only (a dry run, or an import that asks first). */
  target: PoolTarget | null;
  /** True once the import is known to roll back (an invalid row without --skip-invalid): stop inserting. */
  refused: () => boolean;
  /** Throws when the import is interrupted (between parts). */
  checkpoint: () => void;
  /** Called once the file is read to its end, with the codes still to insert (the progress bar has nothing left to show). */
  onTail?: (codes: number) => void;
  /** Tests only: smaller parts and fewer savepoints than the import's. */
  limits?: { feed: ChunkFeedOptions; maxSavepoints: number };
}

export interface Loaded {
  /** Codes inserted into the pool while reading. */
  inserted: number;
  /** A duplicate (in the file or the pool) was met: the stage needs its duplicates marked. */
  duplicates: boolean;
  /** Inserting stopped before the end of the file (refused), so the stage holds rows not inserted. */
  stopped: boolean;
  parts: number;
}

/**
 * Streams the file into the staging table, one part (a table of its own) per chunk of rows, and,
 * with a target, each part into the pool as soon as it is staged, while the next chunk is read.
 * Optimistic (a plain INSERT) until the first duplicate, careful (skipping duplicates) after it.
 */
export async function loadFile(conn: RawConnection, rows: AsyncIterable<CodeRow[]>, plan: LoadPlan): Promise<Loaded> {
  const feed = new ChunkFeed(rows, plan.limits?.feed ?? FEED);
  const maxSavepoints = plan.limits?.maxSavepoints ?? MAX_SAVEPOINTS;
  const loaded: Loaded = { inserted: 0, duplicates: false, stopped: false, parts: 0 };
  let tail = false;
  try {
    while (await feed.nextChunk()) {
      plan.checkpoint();
      const part = await createStagePart(conn, loaded.parts++);
      await copyIntoStagePart(conn, part, feed.pieces());
      if (!plan.target) continue;
      if (loaded.stopped || plan.refused()) {
        loaded.stopped = true;
        continue;
      }
      if (feed.produced && !tail) {
        tail = true;
        plan.onTail?.(feed.last.valid + feed.queuedValid());
      }
      const optimistic = !loaded.duplicates && loaded.parts <= maxSavepoints;
      const added = await insertPart(conn, part, plan.target, { optimistic, valid: feed.last.valid });
      loaded.inserted += added.inserted;
      loaded.duplicates ||= added.duplicates;
    }
  } finally {
    await feed.close();
  }
  return loaded;
}
