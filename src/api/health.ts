import type { Database } from '../db/database.js';
import { sendJson, type Handler } from './http.js';
import type { TrackedPublisher } from './publish.js';

export interface HealthDeps {
  database: Database;
  publisher: TrackedPublisher;
  /** A database slower than this to answer `select 1` counts as down. */
  timeoutMs: number;
  /** How long one probe's answer is reused (default 1 s): a flood of /healthz costs one query per period. */
  cacheMs?: number;
}

/**
 * GET /healthz, without a token: 200 when the database answers, 503 when it does not. `kafka`
 * reports how the last publish went ("up" until one fails); it does not decide the status, since
 * reads and the stream still work without Kafka. The database probe is shared: concurrent calls
 * wait for the one in flight, and its answer is reused for `cacheMs`, so /healthz never takes a
 * pool connection per call (an unauthenticated caller could otherwise drain the pool).
 */
export function health(deps: HealthDeps): Handler {
  const cacheMs = deps.cacheMs ?? 1_000;
  let last: { up: boolean; at: number } | undefined;
  let inFlight: Promise<boolean> | undefined;
  const probe = (): Promise<boolean> => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.up);
    inFlight ??= databaseAnswers(deps).then((up) => {
      last = { up, at: Date.now() };
      inFlight = undefined;
      return up;
    });
    return inFlight;
  };
  return async (_req, res) => {
    const database = (await probe()) ? 'up' : 'down';
    const ok = database === 'up';
    sendJson(res, ok ? 200 : 503, { ok, database, kafka: deps.publisher.state });
  };
}

async function databaseAnswers(deps: HealthDeps): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deps.timeoutMs);
  });
  const probe = deps.database
    .withConnection((conn) => conn.query('select 1'))
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
