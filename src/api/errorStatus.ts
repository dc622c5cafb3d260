import { DependencyError, isTransientError } from '../shared/errors.js';
import { AuthError } from './auth.js';
import { HttpError } from './http.js';
import { NotQueuedError } from './publish.js';

/** What the caller gets for an error, and what operators hear of it. */
export interface ErrorAnswer {
  status: number;
  /** The `error` of `{success:false, error}`. */
  message: string;
  headers: Record<string, string>;
  /** Logged by the router as `<reason>: <the error's message>`; nothing for what the caller is told. */
  log?: { level: 'warn' | 'error'; reason: string };
}

interface Row {
  matches(error: unknown): boolean;
  answer(error: unknown): ErrorAnswer;
}

function byClass<E>(errorClass: abstract new (...args: never[]) => E, answer: (error: E) => ErrorAnswer): Row {
  return { matches: (error) => error instanceof errorClass, answer: (error) => answer(error as E) };
}

/** Worth another try in a moment: a dependency is down, not the request wrong. */
const RETRY_SOON = { 'retry-after': '1' };

/**
 * The one table from error class to HTTP answer (docs/api.md, "Errors"), first match wins. What
 * the caller got wrong is told in the error's own words, written for the caller; a dependency down
 * or a bug in fixed words, so nothing internal (a database URL, a stack) reaches a response.
 */
const ROWS: readonly Row[] = [
  // The handler chose the status: 400 invalid input, 404 no such endpoint, 405, 413, 415.
  byClass(HttpError, (error) => ({
    status: error.status,
    message: error.message,
    headers: { ...error.options.headers, ...(error.options.close && { connection: 'close' }) },
  })),
  byClass(AuthError, (error) => ({ status: 401, message: error.message, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })),
  // POST /redemptions already logged it, with the event id.
  byClass(NotQueuedError, () => ({
    status: 503,
    message: 'the redemption could not be queued (Kafka unavailable); try again shortly',
    headers: { ...RETRY_SOON },
  })),
  // A DependencyError (PublishTimeoutError among them) is transient; so is a database connection lost.
  {
    matches: (error) => error instanceof DependencyError || isTransientError(error),
    answer: () => ({
      status: 503,
      message: 'a dependency is unavailable; try again shortly',
      headers: { ...RETRY_SOON },
      log: { level: 'warn', reason: 'a dependency is unavailable' },
    }),
  },
];

const UNEXPECTED: ErrorAnswer = { status: 500, message: 'internal error', headers: {}, log: { level: 'error', reason: 'unexpected error' } };

/** How the API answers `error`: 500 for anything the table does not name. */
export function errorAnswer(error: unknown): ErrorAnswer {
  return ROWS.find((row) => row.matches(error))?.answer(error) ?? UNEXPECTED;
}
