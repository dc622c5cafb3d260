import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import type { ApiMetrics } from './apiMetrics.js';
import { errorAnswer } from './errorStatus.js';
import { HttpError, sendJson, type Handler } from './http.js';

export interface Route {
  /** The label in metrics and logs: the pattern, never the raw path. */
  name: string;
  match: (path: string) => Record<string, string> | undefined;
  methods: Partial<Record<string, Handler>>;
}

/** The parameters of a route without any: one shared, frozen object rather than a new one per request. */
const NO_PARAMS: Record<string, string> = Object.freeze({});

export function exact(path: string, methods: Route['methods']): Route {
  return { name: path, match: (p) => (p === path ? NO_PARAMS : undefined), methods };
}

/** `/redemptions/:event_id`: one path segment per parameter. */
export function pattern(name: string, methods: Route['methods']): Route {
  const keys: string[] = [];
  const regex = new RegExp(
    '^' + name.replace(/:(\w+)/g, (_, key: string) => (keys.push(key), '([^/]+)')) + '$',
  );
  return {
    name,
    methods,
    match: (p) => {
      const m = regex.exec(p);
      return m ? Object.fromEntries(keys.map((key, i) => [key, m[i + 1]!])) : undefined;
    },
  };
}

/**
 * Dispatches to the first route whose path matches (so /redemptions/stream wins over
 * /redemptions/:event_id): 404 for an unknown path, 405 with Allow for a wrong method, and
 * whatever a handler throws answered as src/api/errorStatus.ts says (the details of a 503 or a
 * 500 go to the log, not to the caller).
 */
export function createRouter(routes: Route[], metrics: ApiMetrics, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    let routeName = 'unmatched';
    try {
      const found = matching(routes, path);
      if (!found) throw new HttpError(404, `no such endpoint: ${req.method} ${path.slice(0, 100)}`);
      const { route, params } = found;
      routeName = route.name;
      const handler = route.methods[req.method ?? ''];
      if (!handler) {
        throw new HttpError(405, `method ${req.method} not allowed on ${route.name}`, { headers: { allow: Object.keys(route.methods).join(', ') } });
      }
      await handler(req, res, params);
    } catch (error) {
      respondToError(req, res, error, logger);
    } finally {
      metrics.observeRequest(req.method ?? '', routeName, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

/** The first route whose pattern matches, with its parameters (each route is matched once). */
function matching(routes: Route[], path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const params = route.match(path);
    if (params) return { route, params };
  }
  return undefined;
}

function respondToError(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = errorAnswer(error);
  if (answer.log) {
    const message = error instanceof Error ? error.message : String(error);
    logger[answer.log.level](`[API] ${req.method} ${req.url}: ${answer.log.reason}: ${message}`);
  }
  sendJson(res, answer.status, { success: false, error: answer.message }, answer.headers);
}
