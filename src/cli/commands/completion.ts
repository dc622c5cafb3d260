import { Argument, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { SHELLS } from '../completion/shells.js';
import type { CommandContext } from '../context.js';

// `completion SHELL` prints the shell's completion script, generated from this program's commands
// (src/cli/completion/); the hidden `__complete KIND [PREFIX]` is what those scripts run for values
// from the database. docs/cli.md, "Shell completion".

export function registerCompletionCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('completion')
    .description('print the completion script for bash, zsh or fish on stdout (install lines: redeemctl completion --help)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      [
        '',
        'Install:',
        '  bash  source <(redeemctl completion bash)     # in ~/.bashrc',
        '  zsh   redeemctl completion zsh > "${fpath[1]}/_redeemctl"     # then a new shell',
        '  fish  redeemctl completion fish > ~/.config/fish/completions/redeemctl.fish',
      ].join('\n'),
    );
  cli.action(command, async (ctx, _options, [shell]) => {
    const { completionScript } = await import('../completion/index.js');
    let root: CommandUnknownOpts = command;
    while (root.parent) root = root.parent;
    ctx.io.stdout.write(completionScript(shell, root));
  });
}

/**
 * Quick and silent, since it runs under the prompt on every Tab: values one per line, and on any
 * error (no database, no merchant, a busy embedded database) nothing at all, exit 0. It reads the
 * database as it is (no migration), never creates an embedded one, and never waits for its lock.
 */
export function registerCompleteCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('__complete', { hidden: true })
    .description('values for the completion scripts: rewards or merchants starting with PREFIX')
    .argument('<kind>', 'rewards or merchants')
    .argument('[prefix]', 'what is typed so far', '');
  // Never wait for the embedded database's lock, whatever --lock-wait or REDEEMCTL_LOCK_WAIT say.
  command.hook('preAction', () => void program.setOptionValue('lockWait', '0'));
  cli.action(command, async (ctx, _options, [kind, prefix]) => {
    try {
      for (const value of await valuesFor(ctx, kind, prefix)) ctx.io.stdout.write(`${value}\n`);
    } catch {
      // Nothing to offer: the shell shows no candidates, the prompt stays clean.
    }
  });
}

async function valuesFor(ctx: CommandContext, kind: string, prefix: string): Promise<string[]> {
  const { rewardCodesStartingWith, merchantNamesStartingWith } = await import('../../lookup/completionValues.js');
  if (kind === 'merchants') return merchantNamesStartingWith((await ctx.rawDb()).db, prefix);
  if (kind !== 'rewards') return [];
  const { db } = await ctx.rawDb();
  return rewardCodesStartingWith(db, await ctx.merchantId(), prefix);
}
