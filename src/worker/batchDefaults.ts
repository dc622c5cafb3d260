// The worker's grouping defaults (docs/worker.md, "Groups"), apart from worker.ts so the command's
// --help can show them without loading kafkajs.

/** Events of one partition in one transaction at most. */
export const DEFAULT_BATCH_SIZE = 50;

/**
 * A group's transaction takes new events for this long at most (ms): its locks, and its first
 * event's result, wait no longer than this plus the last event and the commit.
 */
export const DEFAULT_BATCH_MAX_MS = 10;
