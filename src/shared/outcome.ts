// What the work of a finite command ends in: the result it reports (the JSON document of --json,
// and what the human rendering is made from) and the exit code (docs/conventions.md: 0 done,
// 1 refused or partly failed, 130 stopped by the operator). The feature decides both; the command
// line only prints them (src/cli/emit.ts).

export interface Outcome<T> {
  exitCode: number;
  result: T;
  /** The signal that stopped the work before it finished (exit 130): the result says how far it got. */
  stoppedBy?: string;
}

/** Done: exit 0. */
export function done<T>(result: T): Outcome<T> {
  return { exitCode: 0, result };
}

/** The engine's verdict decides: exit 0 on success, 1 on a refusal. */
export function bySuccess<T extends { success: boolean }>(result: T): Outcome<T> {
  return { exitCode: result.success ? 0 : 1, result };
}

/** Refused before any work: exit 1. */
export function refused<T>(result: T): Outcome<T> {
  return { exitCode: 1, result };
}
