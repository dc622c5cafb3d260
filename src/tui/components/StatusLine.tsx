import { Text } from 'ink';
import type { RefreshFailure } from '../hooks/useDashboardData.js';
import { clockTime, fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { KEY_HINT } from '../keys.js';

export interface StatusLineProps {
  /** the last good snapshot's time, if any */
  at: string | undefined;
  error: RefreshFailure | null;
  paused: boolean;
  slow: boolean;
  intervalMs: number;
  width: number;
  /** `--once`: no keys, no refresh */
  once?: boolean;
}

/** The bottom line: what the data is and how fresh, the error of a failed refresh, the keys. */
export function StatusLine({ at, error, paused, slow, intervalMs, width, once = false }: StatusLineProps) {
  const theme = useTheme();
  const from = at ? `showing data from ${clockTime(at)}` : 'no data yet';
  const every = `every ${intervalMs / 1000}s`;
  let state: { text: string; color: string | undefined };
  if (once) state = { text: `data from ${at ? clockTime(at) : '–'} · one frame (--once)`, color: theme.muted };
  else if (error) {
    // The cause gives way first: the time the data on screen is from must stay readable.
    const tail = `, ${from}${at ? '' : `; retrying ${every}`}`;
    state = { text: fit(error.message, Math.max(8, width - [...tail].length)).trimEnd() + tail, color: theme.error };
  } else if (paused) state = { text: `PAUSED (p resumes) · ${from}`, color: theme.low };
  else if (slow) state = { text: `waiting for the database… · ${from}`, color: theme.warn };
  else if (!at) state = { text: 'loading…', color: theme.muted };
  else state = { text: `updated ${clockTime(at)} · ${every}`, color: theme.muted };
  const hint = once ? '' : KEY_HINT;
  const room = width - [...state.text].length - [...hint].length;
  return (
    <Text wrap="truncate-end">
      <Text color={state.color} bold={(Boolean(error) || paused) && theme.emphasis}>
        {state.text}
      </Text>
      {room >= 3 ? <Text color={theme.muted}>{' '.repeat(room) + hint}</Text> : ''}
    </Text>
  );
}
