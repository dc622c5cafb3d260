import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
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

/** The embedded backend, in memory, migrated. One per test file: PGlite takes seconds to boot. */
export async function createPGliteDatabase(): Promise<TestDatabase> {
  const database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  return { database, drop: () => database.close() };
}

export function createTestDatabase(backend: BackendName, options?: { poolSize?: number }): Promise<TestDatabase> {
  return backend === 'postgres' ? createServerDatabase(options) : createPGliteDatabase();
}
