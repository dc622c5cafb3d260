import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { sweepExpiredCodes } from '../codes/sweep.js';
import type { WorkerLog } from './workerLog.js';

/** How often a worker sweeps expired codes out of the claim index, unless told otherwise. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface ExpirySweep {
  /** No further run starts; resolves once the run in flight (if any) has ended. Never rejects. */
  stop(): Promise<void>;
}

/**
 * Runs the expiry sweep (src/codes/sweep.ts) every `intervalMs` (never when 0), one run at a
 * time, the first one interval after the start. A run that fails (the database away) is logged,
 * and the next interval tries again. The timer never keeps the process alive.
 */
export function startExpirySweep(db: Kysely<Schema>, log: WorkerLog, intervalMs: number): ExpirySweep {
  if (intervalMs <= 0) return { stop: async () => {} };
  const abort = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => (running = run()), intervalMs);
    timer.unref();
  };
  const run = async () => {
    const started = performance.now();
    try {
      const retired = await sweepExpiredCodes(db, { signal: abort.signal });
      if (retired > 0) log.expiredCodesRetired(retired, Math.round(performance.now() - started));
    } catch (error) {
      if (!abort.signal.aborted) log.sweepFailed(error);
    }
    if (!abort.signal.aborted) schedule();
  };
  schedule();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
