import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { describeCommand } from './spec.js';
import { zshScript } from './zsh.js';
import type { Shell } from './shells.js';

// `redeemctl completion SHELL`: the script for one shell, from the program as it is now.

const GENERATORS: Record<Shell, (root: ReturnType<typeof describeCommand>) => string> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
};

export function completionScript(shell: Shell, program: CommandUnknownOpts): string {
  return GENERATORS[shell](describeCommand(program));
}
