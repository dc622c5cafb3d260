import { useCallback, useEffect, useRef, useState } from 'react';
import type { DataSource, Snapshot } from '../data/snapshot.js';

export interface RefreshFailure {
  message: string;
  /** ISO */
  at: string;
}

export interface DashboardData {
  /** The last good snapshot: a failed refresh leaves it on screen. */
  snapshot: Snapshot | null;
  /** The last refresh's failure; cleared by the next success. */
  error: RefreshFailure | null;
  /** A refresh has been running longer than slowAfterMs. */
  slow: boolean;
}

export interface DataOptions {
  intervalMs: number;
  paused: boolean;
  selectedId: string | null;
  /** default: twice the interval, at least 5 s */
  slowAfterMs?: number;
}

/**
 * Polls the source off the render path: a refresh is a promise started from a timer or an effect,
 * never from a render, and the frame only ever reads state. The next refresh is scheduled when the
 * last one ends, so a slow database stretches the period instead of stacking queries; a refresh
 * asked for while one runs (a new selection) runs right after it, once. Paused, nothing starts;
 * resuming or moving the selection refreshes at once.
 */
export function useDashboardData(source: DataSource, options: DataOptions): DashboardData {
  const { intervalMs, paused, selectedId } = options;
  const slowAfterMs = options.slowAfterMs ?? Math.max(5_000, 2 * intervalMs);
  const [data, setData] = useState<DashboardData>({ snapshot: null, error: null, slow: false });
  const latest = useRef({ paused, selectedId });
  latest.current = { paused, selectedId };
  const run = useRef({ alive: true, inFlight: false, again: false, timer: undefined as NodeJS.Timeout | undefined });

  const refresh = useCallback((): void => {
    const r = run.current;
    if (!r.alive || latest.current.paused) return;
    if (r.inFlight) {
      r.again = true;
      return;
    }
    clearTimeout(r.timer);
    r.inFlight = true;
    r.again = false;
    const slowTimer = setTimeout(() => r.alive && setData((d) => ({ ...d, slow: true })), slowAfterMs);
    source
      .snapshot(latest.current.selectedId)
      .then(
        (snapshot) => r.alive && setData({ snapshot, error: null, slow: false }),
        (error: unknown) =>
          r.alive && setData((d) => ({ ...d, slow: false, error: { message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() } })),
      )
      .finally(() => {
        clearTimeout(slowTimer);
        r.inFlight = false;
        if (!r.alive || latest.current.paused) return;
        r.timer = setTimeout(refresh, r.again ? 0 : intervalMs);
      });
  }, [source, intervalMs, slowAfterMs]);

  useEffect(() => {
    if (paused) clearTimeout(run.current.timer);
    else refresh();
  }, [refresh, paused, selectedId]);

  useEffect(() => {
    const r = run.current;
    r.alive = true;
    return () => {
      r.alive = false;
      clearTimeout(r.timer);
    };
  }, []);

  return data;
}
