import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { embeddedDatabase } from '../../src/db/pglite.js';
import { adminUrl, databaseUrl, templateDb } from './pgUrls.js';

export type BackendName = 'postgres' | 'pglite';

/** Functional engine tests run on both; concurrency tests on the server only (docs/testing.md). */
export const BACKENDS: BackendName[] = ['postgres', 'pglite'];

export interface TestDatabase {
  database: Database;
  /** The server URL of this throwaway database (postgres only), for spawned CLIs and workers. */
  url?: string;
  name?: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A throwaway database cloned from the migrated template, dropped by drop(). */
export async function createServerDatabase(options: { poolSize?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `redeemctl_t_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : templateDb();
  await admin((c) => c.query(`create database ${name} template ${template}`));
  const url = databaseUrl(name);
  const database = await openDatabase({ url, poolSize: options.poolSize ?? 10 });
  return {
    database,
    url,
    name,
    async drop() {
      await database.close();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/**
 * The embedded backend, in memory, migrated: started from the run's migrated image
 * (tests/support/pgGlobalSetup.ts), which skips PGlite's initdb and the migrations.
 */
export async function createPGliteDatabase(): Promise<TestDatabase> {
  const image = process.env.REDEEMCTL_PGLITE_IMAGE;
  if (!image) throw new Error('REDEEMCTL_PGLITE_IMAGE is not set: run the tests through vitest (tests/support/pgGlobalSetup.ts)');
  const pglite = new PGlite({ loadDataDir: new Blob([readFileSync(image)]) });
  await pglite.waitReady;
  const database = embeddedDatabase(pglite, 'memory://');
  return { database, drop: () => database.close() };
}

export function createTestDatabase(backend: BackendName, options?: { poolSize?: number }): Promise<TestDatabase> {
  return backend === 'postgres' ? createServerDatabase(options) : createPGliteDatabase();
}
