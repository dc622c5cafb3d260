import { Kysely, PostgresDialect } from 'kysely';
import { UsageError } from '../shared/errors.js';
import type { Schema } from './schema.js';
import { redactUrl } from '../shared/redact.js';

export { redactUrl };

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
  /** The server only: overrides of databaseTimeouts(process.env). */
  timeouts?: Partial<DatabaseTimeouts> | undefined;
}

/**
 * How long the server pool waits (issue 10, point 6), so that a database that stops answering
 * (a black-holed host, a stuck failover) is an error the caller retries, never a silent stall.
 * 0 turns one off. Each resolves environment, then default (seconds in the environment):
 * - `statementTimeoutMs` (`REDEEMCTL_DB_STATEMENT_TIMEOUT`, 60 s): the server's `statement_timeout`
 *   for the pool's queries (SQLSTATE 57014, transient: the worker retries);
 * - `queryTimeoutMs` (`REDEEMCTL_DB_QUERY_TIMEOUT`, 75 s): node-postgres's client-side
 *   `query_timeout`, for when no answer comes back at all; the connection is then dropped;
 * - `connectTimeoutMs` (`REDEEMCTL_DB_CONNECT_TIMEOUT`, 10 s): opening a connection;
 * - TCP keepalive is always on (first probe after `keepAliveDelayMs`, 10 s), so the kernel notices
 *   a dead peer on an idle connection.
 * `withConnection` (migrations, bulk COPY, session work) runs without the statement and query
 * timeouts: a million-row import may take longer than any sensible per-query bound.
 */
export interface DatabaseTimeouts {
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  connectTimeoutMs: number;
  keepAliveDelayMs: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { statementTimeoutMs: 60_000, queryTimeoutMs: 75_000, connectTimeoutMs: 10_000, keepAliveDelayMs: 10_000 };

const TIMEOUT_ENV: Record<Exclude<keyof DatabaseTimeouts, 'keepAliveDelayMs'>, string> = {
  statementTimeoutMs: 'REDEEMCTL_DB_STATEMENT_TIMEOUT',
  queryTimeoutMs: 'REDEEMCTL_DB_QUERY_TIMEOUT',
  connectTimeoutMs: 'REDEEMCTL_DB_CONNECT_TIMEOUT',
};

/** The timeouts from the environment (seconds, decimals allowed, 0 = off), defaults for the rest; a bad value is an error naming it. */
export function databaseTimeouts(env: Record<string, string | undefined> = process.env): DatabaseTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const [key, name] of Object.entries(TIMEOUT_ENV) as Array<[keyof typeof TIMEOUT_ENV, string]>) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(seconds >= 0 && seconds <= 86_400)) throw new UsageError(`${name} must be a number of seconds from 0 to 86400, got ${JSON.stringify(raw)}`);
    timeouts[key] = Math.round(seconds * 1000);
  }
  return timeouts;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, { ...databaseTimeouts(), ...options.timeouts });
  const { openPGlite } = await import('./pglite.js');
  return openPGlite(options.dataDir ?? '.redeemctl', options.embedded);
}

/** No per-query bound (withConnection): setTimeout's largest delay, about 24 days. */
const UNBOUNDED_MS = 2_147_483_647;

/**
 * A query that got no answer within query_timeout leaves node-postgres's client waiting on it for
 * ever (the next query queues behind it): drop the connection instead, so the pool replaces it.
 */
function dropOnReadTimeout(client: import('pg').PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === 'Query read timeout') {
          (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        }
      });
    }
    return result;
  };
}

function poolConfig(url: string, poolSize: number, timeouts: DatabaseTimeouts): import('pg').PoolConfig {
  return {
    connectionString: url,
    max: poolSize,
    application_name: 'redeemctl',
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: timeouts.keepAliveDelayMs,
    ...(timeouts.statementTimeoutMs > 0 && { statement_timeout: timeouts.statementTimeoutMs }),
    ...(timeouts.queryTimeoutMs > 0 && { query_timeout: timeouts.queryTimeoutMs }),
  };
}

async function openPostgres(url: string, poolSize: number, timeouts: DatabaseTimeouts): Promise<Database> {
  const pg = (await import('pg')).default;
  // bigint and numeric as numbers: points and counts stay far below 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  const pool = new pg.Pool(poolConfig(url, poolSize, timeouts));
  // A client losing its server (restart, failover), idle or mid-query, must not crash the process
  // with an unhandled 'error' event; the query in flight rejects and the retry policy decides.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    dropOnReadTimeout(client);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<import('pg').Client>();

  return {
    backend: 'postgres',
    location: redactUrl(url),
    db,
    async withConnection(fn) {
      const client = await pool.connect();
      let failed = false;
      try {
        if (timeouts.statementTimeoutMs > 0) await client.query('set statement_timeout = 0');
        const result = await fn(rawConnection(client));
        if (timeouts.statementTimeoutMs > 0) await client.query('reset statement_timeout');
        return result;
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // a connection that failed may be mid-transaction or still unbounded: not for the pool again
        client.release(failed);
      }
    },
    async listen(channel, onPayload) {
      const client = new pg.Client({ connectionString: url, application_name: 'redeemctl-listen', keepAlive: true, keepAliveInitialDelayMillis: timeouts.keepAliveDelayMs });
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

/** A pool client as a RawConnection, without the pool's per-query timeouts. */
function rawConnection(client: import('pg').PoolClient): RawConnection {
  return {
    query: async (text, params) => client.query({ text, values: params, query_timeout: UNBOUNDED_MS } as never) as never,
    exec: async (text) => {
      await client.query({ text, query_timeout: UNBOUNDED_MS } as never);
    },
    copyFrom: async (text, source) => {
      const { from } = await import('pg-copy-streams');
      const { Readable } = await import('node:stream');
      const { pipeline } = await import('node:stream/promises');
      const copy = client.query(Object.assign(from(text), { query_timeout: UNBOUNDED_MS }));
      await pipeline(Readable.from(source), copy);
      return copy.rowCount;
    },
  };
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
