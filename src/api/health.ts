import type { Database } from '../db/database.js';
import { sendJson, type Handler } from './http.js';
import type { TrackedPublisher } from './publish.js';

export interface HealthDeps {
  database: Database;
  publisher: TrackedPublisher;
  /** A database slower than this to answer `select 1` counts as down. */
  timeoutMs: number;
}

/**
 * GET /healthz, without a token: 200 when the database answers, 503 when it does not. `kafka`
 * reports how the last publish went ("up" until one fails); it does not decide the status, since
 * reads and the stream still work without Kafka.
 */
export function health(deps: HealthDeps): Handler {
  return async (_req, res) => {
    const database = (await databaseAnswers(deps)) ? 'up' : 'down';
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
