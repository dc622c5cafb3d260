import { allCommands, optionsAt, type CommandSpec, type OptionSpec } from './spec.js';
import type { ValueSource } from './values.js';

// The tables a bash or zsh script looks things up in, as shell functions of a command path (the
// words from the program's name down, one space apart: `redeemctl codes import`). Plain `case`
// and `echo`, which both shells read alike; the walk over the command line is each shell's own.

/** A word in single quotes for a POSIX shell (a ' inside becomes '\''). */
export function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `name() { case "$1" in 'path') echo '…' ;; esac; }`, one arm per command with something to say. */
function lookup(fn: string, comment: string, arms: Array<[string, string]>, subject = '"$1"'): string {
  const lines = arms.filter(([, words]) => words !== '').map(([key, words]) => `    ${singleQuoted(key)}) echo ${singleQuoted(words)} ;;`);
  return [`# ${comment}`, `${fn}() {`, `  case ${subject} in`, ...lines, '  esac', '}'].join('\n');
}

function names(options: OptionSpec[]): string {
  return options.flatMap((o) => o.names).join(' ');
}

/** `choices a b c` or `dynamic rewards`: what the driver does with a value. */
export function sourceWords(source: ValueSource): string {
  return 'choices' in source ? `choices ${source.choices.join(' ')}` : `dynamic ${source.dynamic}`;
}

/** The four lookup functions, prefixed `prefix` (`_redeemctl`). */
export function posixTables(root: CommandSpec, prefix: string): string {
  const commands = allCommands(root);
  const key = (c: CommandSpec) => c.path.join(' ');
  const valueArms: Array<[string, string]> = commands.flatMap((c) => [
    ...optionsAt(root, c)
      .filter((o) => o.values)
      .flatMap((o) => o.names.map((n) => [`${key(c)}|${n}`, sourceWords(o.values!)] as [string, string])),
    ...(c.argumentValues ? [[`${key(c)}|`, sourceWords(c.argumentValues)] as [string, string]] : []),
  ]);
  return [
    lookup(`${prefix}_subcommands`, 'The subcommands of a command path.', commands.map((c) => [key(c), c.subcommands.map((s) => s.name).join(' ')])),
    lookup(`${prefix}_options`, 'Every option a command path accepts: its own and its parents\'.', commands.map((c) => [key(c), names(optionsAt(root, c))])),
    lookup(
      `${prefix}_value_options`,
      'The options that read the next word as their value.',
      commands.map((c) => [key(c), names(optionsAt(root, c).filter((o) => o.takesValue))]),
    ),
    lookup(
      `${prefix}_values`,
      'Where the values of "$1|$2" (a path and a flag; no flag: the argument) come from: "choices …" or "dynamic KIND".',
      valueArms,
      '"$1|$2"',
    ),
  ].join('\n\n');
}

/** The options whose values say which database and merchant `__complete` should read. */
export const CONTEXT_FLAGS = ['--database-url', '--data-dir', '--merchant'];
