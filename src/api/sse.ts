import type { ServerResponse } from 'node:http';
import type { LedgerFeed, LedgerRow } from './realtime/ledgerFeed.js';
import type { ApiMetrics } from './apiMetrics.js';
import type { Principal, TokenVerifier } from './auth.js';
import type { Handler } from './http.js';
import { memberRedemption } from './memberView.js';
import type { StreamLimits } from './streamLimits.js';

export interface StreamDeps {
  verifier: TokenVerifier;
  feed: LedgerFeed;
  metrics: ApiMetrics;
  heartbeatMs: number;
  /** A stream ends after this long even while its token is valid (serve --stream-max-lifetime). */
  maxLifetimeMs: number;
  limits: StreamLimits;
  /** Open streams, so closing the server can end them cleanly. */
  streams: Set<ServerResponse>;
}

/** A client this far behind (unread bytes) is dropped rather than buffered without bound. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When and why a stream ends on its own: its token's expiry or the maximum lifetime, whichever first. */
function endOf(principal: Principal, maxLifetimeMs: number): { ms: number; comment: string } {
  const untilExpiry = Math.max(0, principal.expiresAt * 1000 - Date.now());
  if (untilExpiry <= maxLifetimeMs) return { ms: Math.min(MAX_TIMER_MS, untilExpiry), comment: ': token expired\n\n' };
  return { ms: Math.min(MAX_TIMER_MS, maxLifetimeMs), comment: ': stream lifetime reached\n\n' };
}

/**
 * GET /redemptions/stream: server-sent events of the caller's own ledger rows (their user id in
 * their merchant), one `data:` JSON object per row in the member-facing shape (memberView.ts) with
 * the row's id as the event id. The stream opens with a `: listening` comment once every later
 * write will be delivered, sends `: heartbeat` comments, and ends when the token expires, the
 * maximum lifetime is reached or the server closes. Over a stream cap: 429 (streamLimits.ts).
 */
export function ledgerStream(deps: StreamDeps): Handler {
  return async (req, res) => {
    const principal = await deps.verifier.verify(req.headers.authorization);
    const release = deps.limits.acquire(`${principal.merchantId}:${principal.userId}`);
    const early: LedgerRow[] = [];
    let open = false;
    const writable = () => !res.writableEnded && !res.destroyed;
    const send = (rows: LedgerRow[]) => {
      if (!open) return void early.push(...rows);
      if (!writable()) return;
      for (const row of rows) res.write(`id: ${row.id}\ndata: ${JSON.stringify(memberRedemption(row))}\n\n`);
      if (res.writableLength > MAX_BACKLOG_BYTES) res.destroy();
    };
    // Registers the listener (or joins the running one) before answering: a database that cannot
    // be reached is a 503, not a stream that silently never delivers.
    let unsubscribe: () => Promise<void>;
    try {
      unsubscribe = await deps.feed.subscribe({ merchantId: principal.merchantId, userId: principal.userId }, send);
    } catch (error) {
      release();
      throw error;
    }

    const heartbeat = setInterval(() => writable() && res.write(': heartbeat\n\n'), deps.heartbeatMs);
    const end = endOf(principal, deps.maxLifetimeMs);
    const expiry = setTimeout(() => writable() && res.end(end.comment), end.ms);
    let cleaned = false;
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      deps.streams.delete(res);
      deps.metrics.streamClients.dec();
      release();
      void unsubscribe();
    };
    deps.metrics.streamClients.inc();
    deps.streams.add(res);
    res.once('close', cleanup);
    if (req.socket.destroyed || res.destroyed) {
      // The client left while the listener was being registered: 'close' has been and gone.
      cleanup();
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n: listening\n\n');
    open = true;
    send(early.splice(0));
  };
}
