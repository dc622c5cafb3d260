import { Kysely, PostgresDialect } from 'kysely';
import type { Schema } from './schema.js';

/** One dedicated connection: migrations, bulk loads and anything needing session state. */
export interface RawConnection {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements at once, no parameters (migration files). */
  exec(text: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` in text format (rows end at unescaped newlines), fed from `source` as it
   * is read; resolves to the rows copied. Bulk loads (codes import) stream through this. Both
   * backends have it; optional only so hand-made connections in tests need not.
   */
  copyFrom?(text: string, source: AsyncIterable<string>): Promise<number>;
}

export type Backend = 'postgres' | 'pglite';

export interface Database {
  readonly backend: Backend;
  /** Where it lives, without credentials: a host/database or a data folder. */
  readonly location: string;
  readonly db: Kysely<Schema>;
  withConnection<T>(fn: (conn: RawConnection) => Promise<T>): Promise<T>;
  /** Subscribe to NOTIFY on a channel; resolves once listening. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A postgres:// URL; without one the embedded PGlite in dataDir is used. */
  url?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number | undefined;
  /** The embedded database only: create, lock waiting and who we are (src/db/pglite.ts). */
  embedded?: import('./pglite.js').EmbeddedOptions | undefined;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  const { openPGlite } = await import('./pglite.js');
  return openPGlite(options.dataDir ?? '.redeemctl', options.embedded);
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pg = (await import('pg')).default;
  // bigint and numeric as numbers: points and counts stay far below 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'redeemctl', connectionTimeoutMillis: 10_000 });
  // A client losing its server (restart, failover), idle or mid-query, must not crash the process
  // with an unhandled 'error' event; the query in flight rejects and the retry policy decides.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<import('pg').Client>();

  return {
    backend: 'postgres',
    location: redactUrl(url),
    db,
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => client.query(text, params) as never,
          exec: async (text) => {
            await client.query(text);
          },
          copyFrom: async (text, source) => {
            const { from } = await import('pg-copy-streams');
            const { Readable } = await import('node:stream');
            const { pipeline } = await import('node:stream/promises');
            const copy = client.query(from(text));
            await pipeline(Readable.from(source), copy);
            return copy.rowCount;
          },
        });
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      const client = new pg.Client({ connectionString: url, application_name: 'redeemctl-listen' });
      client.on('error', () => {});
      await client.connect();
      listeners.add(client);
      client.on('notification', (msg) => {
        if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
      });
      await client.query(`listen ${quoteIdent(channel)}`);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await db.destroy();
      // Kysely ends the pool only if it ever used it; withConnection may have been the only user.
      if (!pool.ending) await pool.end();
    },
  };
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
