import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Database } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { LedgerFeed, type LedgerFeedOptions } from './realtime/ledgerFeed.js';
import { ApiMetrics } from './apiMetrics.js';
import type { TokenVerifier } from './auth.js';
import { DEFAULT_BODY_LIMIT } from './body.js';
import { getRedemption } from './getRedemption.js';
import { health } from './health.js';
import { sendJson } from './http.js';
import { postRedemption } from './postRedemption.js';
import { TrackedPublisher, type BatchingOptions, type Publisher } from './publish.js';
import { createRouter, exact, pattern } from './router.js';
import { ledgerStream } from './sse.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_MEMBER, DEFAULT_STREAM_MAX_MS, StreamLimits } from './streamLimits.js';

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
  /** How events are grouped into produce requests (src/api/publish.ts); the defaults suit serve. */
  batching?: BatchingOptions;
  heartbeatMs?: number;
  healthTimeoutMs?: number;
  /** How long one /healthz probe is reused; default 1 s. */
  healthCacheMs?: number;
  /** Open streams per member and in total; over either: 429. */
  maxStreamsPerMember?: number;
  maxStreams?: number;
  /** A stream ends after this long even while its token is valid; default 1 h. */
  streamMaxMs?: number;
  /** node:http's server.maxConnections: connections beyond it are closed at once. */
  maxConnections?: number;
  feed?: Omit<LedgerFeedOptions, 'merchantId' | 'onError'>;
}

export interface CloseOptions {
  /**
   * How long requests already in progress (POSTs waiting for Kafka) may take to finish; then
   * whatever still waits is answered 503. Default: the publish timeout and a second.
   */
  drainMs?: number;
}

export interface ApiServer {
  port: number;
  metrics: ApiMetrics;
  /**
   * Stops accepting, ends open streams, lets requests in progress finish (503 for what cannot
   * within `drainMs`), removes the ledger listener registration, closes every connection.
   */
  close(options?: CloseOptions): Promise<void>;
}

interface Parts {
  server: Server;
  feed: LedgerFeed;
  publisher: TrackedPublisher;
  streams: Set<ServerResponse>;
  requests: Set<ServerResponse>;
  state: { draining: boolean };
}

/** The member-facing HTTP API (docs/api.md) on node:http. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { logger } = options;
  const metrics = options.metrics ?? new ApiMetrics();
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const publisher = new TrackedPublisher(options.publisher, publishTimeoutMs, options.batching);
  const feed = new LedgerFeed(options.database, {
    ...options.feed,
    onError: (message, error) => logger.warn(`[API] ${message}${error ? `: ${(error as Error).message ?? String(error)}` : ''}`),
  });
  const streams = new Set<ServerResponse>();
  const requests = new Set<ServerResponse>();
  const state = { draining: false };
  const route = routes(options, { metrics, publisher, feed, streams });

  const server = createServer((req, res) => handle(req, res, { route, requests, streams, state }));
  // A request (headers and body) must arrive within 10 s; an SSE response may last as long as its token.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const parts: Parts = { server, feed, publisher, streams, requests, state };
  let closing: Promise<void> | undefined;
  return {
    port,
    metrics,
    close(closeOptions = {}) {
      closing ??= closeServer(parts, closeOptions.drainMs ?? publishTimeoutMs + 1_000);
      return closing;
    },
  };
}

function routes(
  options: ApiServerOptions,
  shared: { metrics: ApiMetrics; publisher: TrackedPublisher; feed: LedgerFeed; streams: Set<ServerResponse> },
) {
  const { database, verifier, logger } = options;
  const { metrics, publisher, feed, streams } = shared;
  const limits = new StreamLimits(options.maxStreams ?? DEFAULT_MAX_STREAMS, options.maxStreamsPerMember ?? DEFAULT_MAX_STREAMS_PER_MEMBER);
  return createRouter(
    [
      exact('/healthz', { GET: health({ database, publisher, timeoutMs: options.healthTimeoutMs ?? 2_000, cacheMs: options.healthCacheMs }) }),
      exact('/redemptions', {
        POST: postRedemption({ verifier, publisher, logger, metrics, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT }),
      }),
      exact('/redemptions/stream', {
        GET: ledgerStream({
          verifier,
          feed,
          metrics,
          heartbeatMs: options.heartbeatMs ?? 15_000,
          maxLifetimeMs: options.streamMaxMs ?? DEFAULT_STREAM_MAX_MS,
          limits,
          streams,
        }),
      }),
      pattern('/redemptions/:event_id', { GET: getRedemption({ verifier, database }) }),
    ],
    metrics,
    logger,
  );
}

/** Every request but a stream is tracked until answered, so a stop can wait for it; none is started while stopping. */
function handle(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { route: (req: IncomingMessage, res: ServerResponse) => Promise<void>; requests: Set<ServerResponse>; streams: Set<ServerResponse>; state: { draining: boolean } },
): void {
  if (ctx.state.draining) {
    sendJson(res, 503, { success: false, error: 'the server is shutting down; try again shortly' }, { 'retry-after': '1', connection: 'close' });
    return;
  }
  ctx.requests.add(res);
  res.once('close', () => ctx.requests.delete(res));
  void ctx.route(req, res);
}

/**
 * The stop, in order: stop accepting; end the streams; let requests in progress finish for up to
 * `drainMs` (a POST waiting for Kafka gets its 202 or, at the deadline, its 503 — never a cut
 * connection); then remove the listener registration and close what is left.
 */
async function closeServer(parts: Parts, drainMs: number): Promise<void> {
  const { server, feed, publisher, streams, requests, state } = parts;
  state.draining = true;
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
  const pending = () => [...requests].filter((res) => !streams.has(res) && !res.writableEnded);
  if (!(await settledWithin(pending, drainMs))) {
    publisher.abandon('the server is shutting down');
    await settledWithin(pending, 1_000);
  }
  await feed.close().catch(() => {});
  // Answers are written: what is still open is idle or a client that does not read.
  const force = setTimeout(() => server.closeAllConnections(), 500);
  server.closeIdleConnections();
  await stopped;
  clearTimeout(force);
}

/** Polls until `pending()` is empty or `ms` ran out; true when it emptied. */
async function settledWithin(pending: () => unknown[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pending().length > 0) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
