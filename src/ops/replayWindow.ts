// The window of `events replay --failed` when --since is not given: failures of the last 24 hours,
// so a replay never reaches months back by accident. No imports: the command's --help names it.

export const DEFAULT_REPLAY_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_REPLAY_WINDOW = '24h';
