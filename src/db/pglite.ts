import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { Database } from './database.js';
import { quoteIdent } from './database.js';
import { Mutex } from './mutex.js';
import { PGliteDialect } from './pgliteDialect.js';
import type { Schema } from './schema.js';

/** The embedded default: PostgreSQL compiled to WASM, persisted in a folder, in this process. */
export async function openPGlite(dataDir: string): Promise<Database> {
  const isMemory = dataDir === 'memory://';
  const location = isMemory ? dataDir : resolve(dataDir);
  if (!isMemory) mkdirSync(location, { recursive: true });
  const pglite = new PGlite(isMemory ? undefined : location);
  await pglite.waitReady;
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
      await db.destroy();
      await pglite.close();
    },
  };
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
