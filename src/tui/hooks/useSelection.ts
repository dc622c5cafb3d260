import { useCallback, useState } from 'react';
import type { PoolHealth } from '../../monitoring/poolHealth.js';

/**
 * The selected pool, by reward id, so it stays on the same pool when a refresh reorders the list;
 * a pool that is no longer listed gives way to the top one. The arrows move from where the
 * selection is shown, and stop at the ends.
 */
export function useSelection(): { selectedId: string | null; move: (pools: PoolHealth[], delta: number) => void } {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const move = useCallback((pools: PoolHealth[], delta: number) => {
    setSelectedId((current) => {
      if (pools.length === 0) return current;
      const index = selectedIndex(pools, current);
      return pools[Math.min(pools.length - 1, Math.max(0, index + delta))]!.reward_id;
    });
  }, []);
  return { selectedId, move };
}

/** Where the selection shows in this list: its pool, else the top one (0; -1 for no pools). */
export function selectedIndex(pools: Array<Pick<PoolHealth, 'reward_id'>>, selectedId: string | null): number {
  if (pools.length === 0) return -1;
  const index = pools.findIndex((p) => p.reward_id === selectedId);
  return index < 0 ? 0 : index;
}
