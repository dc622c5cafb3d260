import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { CliIO } from '../shared/io.js';
import { bySuccess, type Outcome } from '../shared/outcome.js';
import { signalName, watchInterrupt } from '../shared/signals.js';
import { cancel, type CancelRequest } from './cancelAndUse.js';
import type { CancelResult } from './types.js';

// `cancel` for an operator (docs/engine.md, "Cancel: chunks"): the engine's cancel in chunks,
// stopping between two chunks on Ctrl-C or SIGTERM. The chunk in flight commits, no further one
// starts, and the outcome says which signal stopped it (exit 130) with what was done. A second
// signal stops at once: the chunk in flight rolls back, the chunks before it stay cancelled.

export async function cancelUntilStopped(
  db: Kysely<Schema>,
  io: CliIO,
  request: CancelRequest,
  options: { chunkRows?: number; commandLine: string },
): Promise<Outcome<CancelResult>> {
  const interrupt = watchInterrupt({
    onSecond: (signal) => {
      io.stderr.write(
        `\n${signal} again: stopping now. The chunk in flight rolls back; the chunks before it stay cancelled. ` +
          `To finish, run the same command again:\n  ${options.commandLine}\n`,
      );
    },
  });
  try {
    const result = await cancel(db, request, { ...(options.chunkRows !== undefined && { chunkRows: options.chunkRows }), signal: interrupt.signal });
    const stopped = result.more === true && interrupt.signal.aborted ? { stoppedBy: signalName(interrupt.signal) } : {};
    return { ...bySuccess(result), ...stopped };
  } finally {
    interrupt.dispose();
  }
}
