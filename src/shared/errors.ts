// One error hierarchy for the whole tool. Callers decide on the class and on `code`, never on
// message text. Exit codes follow docs/conventions.md: 2 bad usage or input, 3 a dependency down.
import { redactSecrets } from './redact.js';

export interface ErrorOptions {
  cause?: unknown;
  /**
   * What to do next, printed as a `hint:` line under the message (src/cli/hints.ts). Without it the
   * CLI's table gives one by class (a usage error: the command's --help); null: none, because the
   * message already says what to do.
   */
  hint?: string | null;
}

export class RedeemctlError extends Error {
  readonly exitCode: number = 1;
  readonly retriable: boolean = false;
  readonly hint: string | null | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad usage or bad input: a flag, a file, a line. Changes nothing; exit 2. */
export class UsageError extends RedeemctlError {
  override readonly exitCode = 2;
}

/** A dependency (database, Kafka) cannot be reached. Exit 3; worth retrying later. */
export class DependencyError extends RedeemctlError {
  override readonly exitCode = 3;
  override readonly retriable = true;
}

/** SQLSTATEs raised by sql/ for programming misuse (see sql/0002_rules.sql). */
const MISUSE_STATES = new Set(['RD001', 'RD002']);

/**
 * Retried with back-off: serialization failure, deadlock, the server shutting down or not yet
 * accepting, connection exceptions (class 08), and RD409. RD409 (a request lost the race for the
 * last units of a total limit) is no longer raised since sql/0014_redeem_edges.sql, which returns
 * that loss as a LIMIT_EXCEEDED refusal; it stays here for a database not yet migrated to 0014,
 * where a retry still turns it into that refusal.
 *
 * Also what a failover or an overloaded server answers to a request that is itself fine (issue
 * 10): a read-only transaction (25006: a demoted primary, a standby promoted late), insufficient
 * resources (class 53: disk full, out of memory, too many connections), a statement or lock
 * timeout (57014, 55P03), an I/O error (58030). Retrying those is what the worker must do: the
 * event is good, and dead-lettering it would leave the member's request pending for ever.
 */
const TRANSIENT_STATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '25006', '57014', '55P03', '58030', 'RD409']);
const TRANSIENT_CLASSES = ['08', '53'];

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * node-postgres reports a dropped connection as a plain Error with no code ("Connection
 * terminated unexpectedly"): recognised by being exactly an Error without a code, which none of
 * our own errors and no programming error (TypeError, RangeError…) is.
 */
function isBareConnectionError(error: unknown): boolean {
  return error instanceof Error && error.constructor === Error && codeOf(error) === undefined;
}

export function isTransientError(error: unknown): boolean {
  if (error instanceof RedeemctlError) return error.retriable;
  const code = codeOf(error);
  if (code !== undefined) {
    return TRANSIENT_STATES.has(code) || TRANSIENT_CLASSES.some((c) => code.startsWith(c)) || CONNECTION_ERRNOS.has(code);
  }
  return isBareConnectionError(error);
}

/** Turns what the database threw into the error a user should see. */
export function explainDatabaseError(error: unknown, location?: string): unknown {
  if (error instanceof RedeemctlError) return error;
  const code = codeOf(error);
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  if (code && MISUSE_STATES.has(code)) return new UsageError(message, { cause: error });
  if (code === '3D000' || code?.startsWith('28') || (code && CONNECTION_ERRNOS.has(code)) || code === '57P03') {
    return new DependencyError(
      `Cannot reach the database${location ? ` at ${redactSecrets(location)}` : ''}: ${message}. Check DATABASE_URL (or --database-url) and that PostgreSQL is running.`,
      { cause: error },
    );
  }
  return error;
}

/**
 * The operator stopped the command: Ctrl-C at a prompt, or SIGINT / SIGTERM while it ran. The
 * message says what was done and how to go on. Exit 130, what a shell reports for a Ctrl-C.
 */
export class OperatorAbortError extends RedeemctlError {
  override readonly exitCode = 130;
}

/** A confirmation prompt was answered with anything but yes: nothing changed; exit 1. */
export class NotConfirmedError extends RedeemctlError {}

/** Kafka could not be reached (no broker answered): exit 3, one line naming the brokers and the setting. */
export class KafkaUnreachableError extends DependencyError {
  constructor(
    readonly brokers: readonly string[],
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot reach Kafka at ${brokers.join(',')} (${reason}). Check KAFKA_BROKERS (or --brokers) and that the broker is running.`, options);
  }
}

/** No broker is configured (neither --brokers nor KAFKA_BROKERS): exit 3, naming the setting. */
export class KafkaNotConfiguredError extends DependencyError {
  constructor() {
    super('Kafka is not configured: set KAFKA_BROKERS (host:port[,host:port]) or pass --brokers');
  }
}

const KAFKA_CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 10 && !chain.includes(e); e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Why no broker answered, in a few words: from the errno of the innermost connection error. */
function kafkaReason(error: unknown): string {
  for (const e of causes(error).reverse()) {
    const code = codeOf(e);
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
    if (code === 'ETIMEDOUT') return 'connection timed out';
    if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset';
  }
  if (causes(error).some((e) => (e as { name?: unknown } | null)?.name === 'KafkaJSConnectionClosedError')) return 'the connection was closed';
  const message = messageOf(error);
  if (/timeout|timed out/i.test(message)) return 'no answer in time';
  return oneLine(message) || 'no broker answered';
}

/**
 * Turns a failure to reach Kafka into the error an operator should see: one line naming the
 * brokers and the setting, exit 3. The one place that words it (docs/kafka.md). An error that
 * already is one (possibly wrapped by a caller that added its own words) is returned as it is;
 * with `brokers`, kafkajs's connection errors (refused, unknown host, timeout, retries exhausted)
 * become one. Anything else is returned unchanged, unless `connecting`: then the error came from
 * connecting, so whatever it is no broker could be used, and it becomes one with its message as
 * the reason (a DependencyError it already is stays as it is).
 */
export function explainKafkaError(error: unknown, brokers: readonly string[], options: { connecting: true }): DependencyError;
export function explainKafkaError(error: unknown, brokers?: readonly string[]): unknown;
export function explainKafkaError(error: unknown, brokers?: readonly string[], options: { connecting?: boolean } = {}): unknown {
  const explained = causes(error).find((e) => e instanceof KafkaUnreachableError);
  if (explained) return explained;
  if (brokers === undefined) return error;
  if (options.connecting) {
    if (error instanceof DependencyError) return error;
    return connectionFailure(error, brokers) ?? new KafkaUnreachableError(brokers, oneLine(messageOf(error)), { cause: error });
  }
  if (error instanceof RedeemctlError) return error;
  return connectionFailure(error, brokers) ?? error;
}

/** kafkajs's connection errors (by name) or a socket's (by errno), anywhere in the cause chain, as a KafkaUnreachableError. */
function connectionFailure(error: unknown, brokers: readonly string[]): KafkaUnreachableError | undefined {
  const connection = causes(error).some((e) => {
    const name = (e as { name?: unknown } | null)?.name;
    const code = codeOf(e);
    return (typeof name === 'string' && KAFKA_CONNECTION_ERRORS.has(name)) || (code !== undefined && CONNECTION_ERRNOS.has(code));
  });
  return connection ? new KafkaUnreachableError(brokers, kafkaReason(error), { cause: error }) : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
