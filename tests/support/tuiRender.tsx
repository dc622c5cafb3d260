import chalk from 'chalk';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { COLOUR_THEME, PLAIN_THEME, ThemeContext } from '../../src/tui/theme.js';

// Rendering the console's components in tests: ink-testing-library's fake terminal, set to a fixed
// width, with colour pinned (chalk is Ink's colour library; its level is global, so it is set on
// every render rather than guessed from the test runner's stdout).

const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface Rendered extends ReturnType<typeof render> {
  /** The last frame, escape sequences removed, as lines. */
  lines(): string[];
  text(): string;
}

export function renderAt(tree: ReactElement, columns: number, options: { colour?: boolean; rows?: number } = {}): Rendered {
  const colour = options.colour ?? false;
  chalk.level = colour ? 1 : 0;
  const wrapped = <ThemeContext.Provider value={colour ? COLOUR_THEME : PLAIN_THEME}>{tree}</ThemeContext.Provider>;
  const instance = render(wrapped);
  // ink-testing-library's terminal is 100 columns and has no rows; Ink reads the width on every
  // layout, and the console's useTerminalSize follows 'resize'.
  Object.defineProperty(instance.stdout, 'columns', { value: columns, configurable: true });
  if (options.rows !== undefined) Object.defineProperty(instance.stdout, 'rows', { value: options.rows, configurable: true });
  instance.stdout.emit('resize');
  instance.rerender(wrapped);
  const text = () => stripAnsi(instance.lastFrame() ?? '');
  return Object.assign(instance, { text, lines: () => text().split('\n') });
}

/** Terminal cells of a line without escape sequences (every character the console draws is one cell). */
export function cells(line: string): number {
  return [...stripAnsi(line)].length;
}
