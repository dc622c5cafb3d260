import { createServer, type ServerResponse } from 'node:http';
import type { Database } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { LedgerFeed, type LedgerFeedOptions } from './realtime/ledgerFeed.js';
import { ApiMetrics } from './apiMetrics.js';
import type { TokenVerifier } from './auth.js';
import { DEFAULT_BODY_LIMIT } from './body.js';
import { getRedemption } from './getRedemption.js';
import { health } from './health.js';
import { postRedemption } from './postRedemption.js';
import { TrackedPublisher, type Publisher } from './publish.js';
import { createRouter, exact, pattern } from './router.js';
import { ledgerStream } from './sse.js';

export interface ApiServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Owned by the caller: close() leaves the database and the publisher open. */
  database: Database;
  publisher: Publisher;
  verifier: TokenVerifier;
  logger: Logger;
  metrics?: ApiMetrics;
  bodyLimit?: number;
  publishTimeoutMs?: number;
  heartbeatMs?: number;
  healthTimeoutMs?: number;
  feed?: Omit<LedgerFeedOptions, 'merchantId' | 'onError'>;
}

export interface ApiServer {
  port: number;
  metrics: ApiMetrics;
  /** Stops accepting, ends open streams, removes the ledger listener registration, waits for in-flight requests. */
  close(): Promise<void>;
}

/** The member-facing HTTP API (docs/api.md) on node:http. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { database, verifier, logger } = options;
  const metrics = options.metrics ?? new ApiMetrics();
  const publisher = new TrackedPublisher(options.publisher, options.publishTimeoutMs ?? 5_000);
  const feed = new LedgerFeed(database, {
    ...options.feed,
    onError: (message, error) => logger.warn(`[API] ${message}${error ? `: ${(error as Error).message ?? String(error)}` : ''}`),
  });
  const streams = new Set<ServerResponse>();

  const route = createRouter(
    [
      exact('/healthz', { GET: health({ database, publisher, timeoutMs: options.healthTimeoutMs ?? 2_000 }) }),
      exact('/redemptions', {
        POST: postRedemption({ verifier, publisher, logger, metrics, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT }),
      }),
      exact('/redemptions/stream', { GET: ledgerStream({ verifier, feed, metrics, heartbeatMs: options.heartbeatMs ?? 15_000, streams }) }),
      pattern('/redemptions/:event_id', { GET: getRedemption({ verifier, database }) }),
    ],
    metrics,
    logger,
  );

  const server = createServer((req, res) => void route(req, res));
  // A request (headers and body) must arrive within 10 s; an SSE response may last as long as its token.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    port,
    metrics,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const ended = [...streams].map(
          (stream) =>
            new Promise<void>((resolve) => {
              stream.once('close', resolve);
              setTimeout(resolve, 1_000).unref();
              stream.end();
            }),
        );
        await Promise.all(ended);
        server.closeIdleConnections();
        await feed.close();
        // In-flight requests get a moment to finish; a connection still open after it is cut.
        const force = setTimeout(() => server.closeAllConnections(), 2_000);
        await stopped;
        clearTimeout(force);
      })();
      return closing;
    },
  };
}
