import type { Key } from 'ink';

// Every key binding of the console, in one place: App.tsx dispatches through actionFor() and the
// help panel lists BINDINGS, so the two cannot disagree.

export type Action = 'quit' | 'pause' | 'up' | 'down' | 'help' | 'close';

export interface Binding {
  /** as the help shows it */
  keys: string;
  action: Action;
  description: string;
  matches(input: string, key: Key): boolean;
}

export const BINDINGS: readonly Binding[] = [
  { keys: 'q', action: 'quit', description: 'quit', matches: (input) => input === 'q' },
  { keys: 'p', action: 'pause', description: 'pause / resume the refresh', matches: (input) => input === 'p' },
  { keys: '↑ k', action: 'up', description: 'select the pool above', matches: (input, key) => key.upArrow || input === 'k' },
  { keys: '↓ j', action: 'down', description: 'select the pool below', matches: (input, key) => key.downArrow || input === 'j' },
  { keys: '?', action: 'help', description: 'show / hide this help', matches: (input) => input === '?' },
  { keys: 'esc', action: 'close', description: 'close the help', matches: (_input, key) => key.escape },
];

export function actionFor(input: string, key: Key): Action | undefined {
  return BINDINGS.find((b) => b.matches(input, key))?.action;
}

/** The status line's reminder. */
export const KEY_HINT = 'q quit · p pause · ↑↓ select · ? help';
