import { Command, Option } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { bashScript } from '../../src/cli/completion/bash.js';
import { fishQuoted, fishScript } from '../../src/cli/completion/fish.js';
import { singleQuoted } from '../../src/cli/completion/posixData.js';
import { describeCommand, optionsAt } from '../../src/cli/completion/spec.js';
import { valuesOf } from '../../src/cli/completion/values.js';
import { zshScript } from '../../src/cli/completion/zsh.js';

// The completion generators as pure functions of a small command tree (docs/cli.md, "Shell
// completion"). The real program's scripts are run in bash by tests/cli/completion.test.ts.

function tree() {
  const program = new Command('tool').option('--database-url <url>', 'server').option('--verbose', 'more');
  program.command('redeem').description('redeem one').requiredOption('--reward <r>', 'reward').option('--quantity <n>', 'units').option('--mode <m>', 'mode');
  const codes = program.command('codes').description('code pools');
  codes.command('import').description('import a CSV').argument('<file>').option('--dry-run', 'preview');
  codes.command('batches', { hidden: true }).description('old name');
  program.command('worker').addOption(new Option('--log-format <f>', 'format').choices(['text', 'json'])).addOption(new Option('--old').hideHelp());
  program.command('__complete', { hidden: true });
  const rewards = program.command('rewards');
  rewards.command('show').argument('<reward>');
  return describeCommand(program);
}

describe('describeCommand', () => {
  it('reads commands, options, values and arguments; leaves hidden ones out', () => {
    const root = tree();
    expect(root.subcommands.map((c) => c.name)).toEqual(['redeem', 'codes', 'worker', 'rewards']);
    const [redeem, codes, worker, rewards] = root.subcommands;
    expect(codes!.subcommands.map((c) => c.name)).toEqual(['import']);
    expect(redeem!.path).toEqual(['tool', 'redeem']);
    expect(redeem!.options.map((o) => [o.names[0], o.takesValue, o.values])).toEqual([
      ['--reward', true, { dynamic: 'rewards' }],
      ['--quantity', true, undefined],
      ['--mode', true, { choices: ['calc', 'direct', 'force'] }],
      ['--help', false, undefined],
    ]);
    expect(worker!.options.map((o) => o.names[0])).toEqual(['--log-format', '--help']);
    expect(worker!.options[0]!.values).toEqual({ choices: ['text', 'json'] });
    expect(rewards!.subcommands[0]!.argumentValues).toEqual({ dynamic: 'rewards' });
    expect(codes!.subcommands[0]!.argumentValues).toBeUndefined();
  });

  it('gives a command its own options, then its parents\' (the global flags), each once', () => {
    const root = tree();
    const names = optionsAt(root, root.subcommands[1]!.subcommands[0]!).map((o) => o.names[0]);
    expect(names).toEqual(['--dry-run', '--help', '--database-url', '--verbose']);
  });

  it('takes a command-specific entry of the value table over the flag-wide one', () => {
    expect(valuesOf(['redeemctl', 'batch', 'run'], '--mode')).toEqual({ choices: ['calc', 'direct'] });
    expect(valuesOf(['redeemctl', 'redeem'], '--mode')).toEqual({ choices: ['calc', 'direct', 'force'] });
    expect(valuesOf(['redeemctl', 'x'], '--mode', ['a'])).toEqual({ choices: ['a'] });
    expect(valuesOf(['redeemctl', 'x'], '--note')).toBeUndefined();
  });
});

describe('scripts', () => {
  it('bash: lookup tables per command path, the driver, and the registration', () => {
    const script = bashScript(tree());
    expect(script).toContain(`    'tool') echo 'redeem codes worker rewards' ;;`);
    expect(script).toContain(`    'tool codes import') echo '--dry-run --help -h --database-url --verbose' ;;`);
    expect(script).toContain(`    'tool redeem|--reward') echo 'dynamic rewards' ;;`);
    expect(script).toContain(`    'tool rewards show|') echo 'dynamic rewards' ;;`);
    expect(script).toContain('--lock-wait 0 __complete');
    expect(script).not.toContain('batches');
    expect(script.trimEnd().endsWith('complete -F _tool tool')).toBe(true);
  });

  it('zsh: loads from $fpath or sourced, asks __complete for values', () => {
    const script = zshScript(tree());
    expect(script.startsWith('#compdef tool\n')).toBe(true);
    expect(script).toContain('compdef _tool tool');
    expect(script).toContain(`'tool redeem|--mode') echo 'choices calc direct force'`);
    expect(script).toMatch(/__complete "\$\{source#dynamic \}" -- "\$cur"/);
    expect(script).not.toContain('__complete)');
  });

  it('fish: one complete line per subcommand and option, conditioned on the command path', () => {
    const script = fishScript(tree());
    expect(script).toContain("complete -c tool -f -n '__tool_at \\'tool codes\\'' -a import -d 'import a CSV'");
    expect(script).toContain("complete -c tool -n '__tool_at \\'tool redeem\\'' -l reward -x -a '(__tool_dynamic rewards)' -d 'reward'");
    expect(script).toContain("complete -c tool -n '__tool_at \\'tool worker\\'' -l log-format -x -a 'text json' -d 'format'");
    // Global options hold everywhere: no condition.
    expect(script).toContain("complete -c tool -l database-url -r -d 'server'");
    expect(script).toContain('__complete $argv[1] -- (commandline -ct)');
    expect(script).not.toMatch(/-l old\b/);
  });

  it('quotes for each shell', () => {
    expect(singleQuoted("it's")).toBe(`'it'\\''s'`);
    expect(fishQuoted("it's a \\")).toBe(`'it\\'s a \\\\'`);
  });
});
