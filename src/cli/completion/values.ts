// Where the values of a flag or an argument come from, for completion. Commander's own choices
// (`new Option(...).choices([...])`) are read from the tree; flags whose values are checked in the
// action instead (parse.ts) are listed here, and so are the keys looked up in the database, which
// the scripts ask of the tool itself: `redeemctl __complete rewards CO` (src/cli/commands/completion.ts).
import { ERROR_CODES } from '../../engine/types.js';

export type DynamicKind = 'rewards' | 'merchants';
export const DYNAMIC_KINDS: readonly DynamicKind[] = ['rewards', 'merchants'];

export type ValueSource = { choices: string[] } | { dynamic: DynamicKind };

/**
 * Values by flag, for every command that has the flag, unless a `command path|flag` entry (the
 * path without the program's name) says otherwise. Keep in step with the parsers they mirror.
 */
const FLAG_VALUES: Record<string, ValueSource> = {
  '--reward': { dynamic: 'rewards' },
  '--merchant': { dynamic: 'merchants' },
  // src/cli/parse.ts parseMode: batch grants take no force.
  '--mode': { choices: ['calc', 'direct', 'force'] },
  'batch run|--mode': { choices: ['calc', 'direct'] },
  '--codes': { choices: ['release', 'void'] },
  // src/codes/exportCodes.ts EXPORT_STATUSES (not imported: that module loads Kysely).
  'codes export|--status': { choices: ['available', 'expired', 'redeemed', 'voided'] },
  '--error-code': { choices: [...ERROR_CODES] },
  '--log-format': { choices: ['text', 'json'] },
  '--kafka-sasl-mechanism': { choices: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] },
};

/** Values by positional argument name (`rewards show <reward>`); anything else completes as a file. */
const ARGUMENT_VALUES: Record<string, ValueSource> = {
  reward: { dynamic: 'rewards' },
};

/**
 * The values of `flag` on the command at `path` (`['redeemctl', 'batch', 'run']`); with no flag,
 * of the command's first argument named `argument`. Commander choices win over the table.
 */
export function valuesOf(path: string[], flag: string, choices?: readonly string[], argument?: string): ValueSource | undefined {
  if (choices && choices.length > 0) return { choices: [...choices] };
  if (flag === '') return argument === undefined ? undefined : ARGUMENT_VALUES[argument];
  return FLAG_VALUES[`${path.slice(1).join(' ')}|${flag}`] ?? FLAG_VALUES[flag];
}
