import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { Database } from './database.js';
import { quoteIdent } from './database.js';
import { lockDataDir, type DataDirLock, type LockHolder } from './dataDirLock.js';
import { Mutex } from './mutex.js';
import { DependencyError } from '../shared/errors.js';
import { PGliteDialect } from './pgliteDialect.js';
import type { Schema } from './schema.js';

export interface EmbeddedOptions {
  /** Create the database when the folder holds none (demo, db migrate); otherwise refuse. */
  create?: boolean | undefined;
  /** How long to wait for another process holding the folder; 0 refuses at once. */
  lockWaitMs?: number | undefined;
  /** What this process is, told to others who find the folder taken. */
  command?: string | undefined;
  /** Called when the folder is taken and waiting starts. */
  onLockWait?: ((holder: LockHolder | undefined, waitMs: number) => void) | undefined;
  /** Lend the folder: called when another process asks for it (the console closes, then reopens). */
  onReleaseRequest?: ((asker: LockHolder | undefined) => void) | undefined;
}

/** Waiting this long for another process is enough for a short command (redeem, quote) to finish. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/**
 * The embedded default: PostgreSQL compiled to WASM, persisted in a folder, in this process. The
 * folder is locked for as long as it is open (src/db/dataDirLock.ts), and released after close.
 */
export async function openPGlite(dataDir: string, options: EmbeddedOptions = {}): Promise<Database> {
  const isMemory = dataDir === 'memory://';
  const location = isMemory ? dataDir : resolve(dataDir);
  let lock: DataDirLock | undefined;
  if (!isMemory) {
    if (!holdsDatabase(location)) {
      if (!options.create) throw new NoEmbeddedDatabaseError(location);
      mkdirSync(location, { recursive: true });
    }
    const waitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
    lock = await lockDataDir(realpathSync(location), {
      // The CLI names its command (src/cli/program.ts); other openers (tests, benchmarks) are just redeemctl.
      command: options.command ?? 'redeemctl',
      waitMs,
      onWait: (holder) => options.onLockWait?.(holder, waitMs),
      ...(options.onReleaseRequest && { onReleaseRequest: options.onReleaseRequest }),
    });
  }
  let pglite: PGlite;
  try {
    pglite = new PGlite(isMemory ? undefined : location);
    await pglite.waitReady;
  } catch (error) {
    await lock?.release();
    throw error;
  }
  return embeddedDatabase(pglite, location, lock);
}

/**
 * The Database over an open PGlite: one connection, so every use goes through one mutex. Closing
 * it closes PGlite, then releases the folder's lock (if any). Tests also wrap a PGlite started
 * from a migrated image with it (tests/support/databases.ts).
 */
export function embeddedDatabase(pglite: PGlite, location: string, lock?: DataDirLock): Database {
  const mutex = new Mutex();
  const db = new Kysely<Schema>({ dialect: new PGliteDialect(pglite, mutex) });

  return {
    backend: 'pglite',
    location,
    db,
    withConnection: (fn) =>
      mutex.run(() =>
        fn({
          query: async (text, params) => pglite.query(text, params) as never,
          exec: async (text) => {
            await pglite.exec(text);
          },
          copyFrom: (text, source) => copyFromBlobs(pglite, text, source),
        }),
      ),
    async listen(channel, onPayload) {
      const unlisten = await pglite.listen(quoteIdent(channel), onPayload);
      return unlisten;
    },
    async close() {
      try {
        await db.destroy();
        await pglite.close();
      } finally {
        // Only once PGlite has written everything out may another process open the folder.
        await lock?.release();
      }
    },
  };
}

/** A folder holds an embedded database once PostgreSQL has initialised it (PG_VERSION written). */
export function holdsDatabase(folder: string): boolean {
  return existsSync(join(folder, 'PG_VERSION'));
}

/**
 * The folder given holds no database: most likely a mistyped --data-dir or REDEEMCTL_DATA_DIR, so
 * nothing is created there (only demo and db migrate create one). Exit 3, like an unreachable server.
 */
export class NoEmbeddedDatabaseError extends DependencyError {
  constructor(readonly folder: string) {
    super(
      `No embedded database at ${folder}. Check --data-dir / REDEEMCTL_DATA_DIR (default: .redeemctl in the current folder), ` +
        'or create one there with `redeemctl demo` (sample data) or `redeemctl db migrate` (empty), ' +
        'or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
}

/** How much COPY text goes into one blob: bounded memory, and few enough round trips. */
const COPY_PIECE_CHARS = 4 << 20;

/**
 * PGlite has no COPY FROM STDIN stream; it copies from a blob (`/dev/blob`). So the text goes in
 * pieces of a few megabytes, each cut at a line end: in text format a data newline is escaped, so
 * a cut never splits a row, and every piece runs in the caller's transaction.
 */
async function copyFromBlobs(pglite: PGlite, text: string, source: AsyncIterable<string>): Promise<number> {
  const statement = text.replace(/\bfrom\s+stdin\b/i, "from '/dev/blob'");
  let pending = '';
  let rows = 0;
  const send = async (piece: string) => {
    if (piece === '') return;
    const result = await pglite.query(statement, [], { blob: new Blob([piece]) });
    rows += result.affectedRows ?? 0;
  };
  for await (const chunk of source) {
    pending += chunk;
    if (pending.length >= COPY_PIECE_CHARS) {
      const cut = pending.lastIndexOf('\n') + 1;
      await send(pending.slice(0, cut));
      pending = pending.slice(cut);
    }
  }
  await send(pending);
  return rows;
}
