import { useCallback, useState } from 'react';

/** `p`: paused, no refresh is started (the one running finishes); again, an immediate refresh. */
export function usePaused(initial = false): { paused: boolean; toggle: () => void } {
  const [paused, setPaused] = useState(initial);
  const toggle = useCallback(() => setPaused((p) => !p), []);
  return { paused, toggle };
}
