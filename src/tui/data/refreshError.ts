import { isTransientError, RedeemctlError } from '../../shared/errors.js';

/**
 * A refresh that could not read the database. The message is what the status line shows before
 * ", showing data from …": "database unreachable: <cause>" when the server cannot be reached (the
 * errors the engine's retry policy calls transient), else "refresh failed: <cause>". An
 * unreachable database is a dependency down, as a DependencyError is: exit 3 and retriable, so
 * isTransientError calls a RefreshError transient exactly when it is unreachable.
 */
export class RefreshError extends RedeemctlError {
  override readonly exitCode: number;
  override readonly retriable: boolean;

  constructor(
    message: string,
    /** the database could not be reached (as opposed to a query that failed) */
    readonly unreachable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = unreachable ? 3 : 1;
    this.retriable = unreachable;
  }

  static from(error: unknown): RefreshError {
    if (error instanceof RefreshError) return error;
    // Node reports every refused address of a host name at once, with an empty message.
    const first = error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as unknown) : error;
    const cause = first instanceof Error ? first.message || first.name : String(first);
    const unreachable = isTransientError(error) || isConnectError(error);
    return new RefreshError(`${unreachable ? 'database unreachable' : 'refresh failed'}: ${oneLine(cause)}`, unreachable, { cause: error });
  }
}

/** Every address of a host name refused: Node reports an AggregateError of them. */
function isConnectError(error: unknown): boolean {
  return error instanceof AggregateError && error.errors.some((e) => isTransientError(e));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
