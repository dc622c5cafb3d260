import { DependencyError, explainDatabaseError, isTransientError, RedeemctlError } from '../shared/errors.js';

/**
 * An error that stopped a batch run part-way. Losing the database (after the engine's retries) is
 * exit 3 and says how to resume: rows already sent stay done, and the same command picks up the rest.
 */
export function explainBatchError(error: unknown, location: string): unknown {
  const explained = explainDatabaseError(error, location);
  if (explained instanceof RedeemctlError) return explained;
  if (isTransientError(error)) {
    return new DependencyError(
      `Lost the database at ${location} while the batch ran (${(error as Error).message}). Rows already granted stay granted: run the same command again to finish the batch.`,
      { cause: error },
    );
  }
  return explained;
}
