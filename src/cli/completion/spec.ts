import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { valuesOf, type ValueSource } from './values.js';

// What a completion script needs to know about the program, read from the commander tree at the
// time `redeemctl completion SHELL` runs: so a new command or flag is completed without anyone
// touching the scripts. The shell generators (bash.ts, zsh.ts, fish.ts) are pure functions of it.

export interface OptionSpec {
  /** `--quantity`, and `-V` style short names where the option has one. */
  names: string[];
  description: string;
  /** Whether the option reads the next word as its value (`--quantity 2`), not a switch (`--dry-run`). */
  takesValue: boolean;
  /** Where its values come from, if anywhere known: fixed choices, or asked of `redeemctl __complete`. */
  values?: ValueSource;
}

export interface CommandSpec {
  name: string;
  description: string;
  /** The words from the program's name down: `['redeemctl', 'codes', 'import']`. */
  path: string[];
  /** The command's own options; the program's (global) options are on the root only. */
  options: OptionSpec[];
  subcommands: CommandSpec[];
  /** Values for the positional arguments, when known (`rewards show <reward>`); else files. */
  argumentValues?: ValueSource;
}

/** The visible tree under `command`: hidden commands and options (old aliases, `__complete`) are left out. */
export function describeCommand(command: CommandUnknownOpts, parentPath: string[] = []): CommandSpec {
  const path = [...parentPath, command.name()];
  const options: OptionSpec[] = command.options
    .filter((o) => !o.hidden)
    .map((o) => {
      const names = [o.long, o.short].filter((n): n is string => typeof n === 'string');
      const takesValue = o.required || o.optional;
      const values = takesValue ? valuesOf(path, o.long ?? '', o.argChoices) : undefined;
      return { names, description: o.description, takesValue, ...(values ? { values } : {}) };
    });
  // --help is commander's own, not in command.options; every command has it.
  options.push({ names: ['--help', '-h'], description: 'display help for command', takesValue: false });
  const subcommands = command.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .map((c) => describeCommand(c, path));
  const argumentValues = valuesOf(path, '', command.registeredArguments[0]?.argChoices, command.registeredArguments[0]?.name());
  return { name: command.name(), description: command.description(), path, options, subcommands, ...(argumentValues ? { argumentValues } : {}) };
}

/** Every command of the tree, the root first, depth-first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

/** The options a command accepts: its own, then its ancestors' (commander reads the program's anywhere on the line). */
export function optionsAt(root: CommandSpec, command: CommandSpec): OptionSpec[] {
  const ancestors = allCommands(root).filter((c) => c !== command && command.path.join(' ').startsWith(`${c.path.join(' ')} `));
  const seen = new Set<string>();
  return [command, ...ancestors.reverse()]
    .flatMap((c) => c.options)
    .filter((o) => {
      const key = o.names[0]!;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
