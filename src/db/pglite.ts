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
