import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { hidePassword, shellQuote } from '../shared/shellQuote.js';

/**
 * The command line as the operator typed it (from the root command's raw arguments), quoted for a
 * POSIX shell, so "run the same command again" can be pasted. A password in a URL is hidden.
 */
export function commandLine(command: CommandUnknownOpts): string {
  let root = command;
  while (root.parent) root = root.parent;
  const argv = (root as CommandUnknownOpts & { rawArgs?: string[] }).rawArgs ?? command.args;
  return ['redeemctl', ...argv.map(hidePassword).map(shellQuote)].join(' ');
}
