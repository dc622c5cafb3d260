import { DataDirBusyError, describeHolder, type LockHolder } from '../../db/dataDirLock.js';
import { RefreshError } from './refreshError.js';
import type { DataSource, Snapshot } from './snapshot.js';

// The console on the embedded database. PGlite serves one process at a time, and an open console
// must not keep support staff from redeeming: when another redeemctl process asks for the folder,
// the console closes its database between refreshes (nothing of its own is lost: it only reads),
// and the status line says who has it. It opens it again once that process is done.

export interface LendingParts {
  /** Opens the database and a source over it; rejects with DataDirBusyError while it is lent. */
  open(): Promise<DataSource>;
  /** Closes the source's database, releasing the folder. */
  closeDatabase(): Promise<void>;
  /** How long to leave the folder alone after giving it up, so the asker gets it first. */
  graceMs?: number;
  clock?: () => number;
}

export interface LendingSource extends DataSource {
  /** Called by the lock when another process asks for the folder. */
  releaseRequested(asker: LockHolder | undefined): void;
}

export function lendingSource(parts: LendingParts): LendingSource {
  const graceMs = parts.graceMs ?? 3_000;
  const clock = parts.clock ?? Date.now;
  let current: DataSource | undefined;
  let lentTo: LockHolder | undefined;
  let lentAt = Number.NEGATIVE_INFINITY;
  // Refreshes and releases run one at a time: a release never closes a database mid-snapshot.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const next = queue.then(step, step);
    queue = next.catch(() => undefined);
    return next;
  };

  const lentError = () => new RefreshError(`embedded database lent to ${describeHolder(lentTo)}`, false);

  async function release(): Promise<void> {
    if (!current) return;
    const source = current;
    current = undefined;
    lentAt = clock();
    await source.close();
    await parts.closeDatabase();
  }

  return {
    releaseRequested(asker) {
      lentTo = asker;
      void serially(release);
    },
    snapshot(selected): Promise<Snapshot> {
      return serially(async () => {
        if (!current) {
          if (clock() - lentAt < graceMs) throw lentError();
          try {
            current = await parts.open();
          } catch (error) {
            await parts.closeDatabase();
            if (!(error instanceof DataDirBusyError)) throw error;
            lentTo = error.holder;
            throw lentError();
          }
        }
        return current.snapshot(selected);
      });
    },
    close: () => serially(release),
  };
}
