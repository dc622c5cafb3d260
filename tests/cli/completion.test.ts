import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { readFixtureFile, seed } from '../../src/demo/seed.js';

// Shell completion through the built binary (docs/cli.md, "Shell completion"): the bash script is
// checked by bash itself and run the way bash runs it (COMP_WORDS, COMP_CWORD, the function, then
// COMPREPLY), with reward codes read from a server database seeded with fixtures/demo.json. zsh and
// fish are not installed here: their scripts are checked for content only.

let handle: TestDatabase;
let env: Record<string, string>;
let folder: string;
const cli = (...argv: string[]): Promise<CliResult> => runBinary(argv, env, REPO_ROOT);
/** The outputs the tests read, run side by side once the database is seeded. */
let out: Record<'bash' | 'zsh' | 'fish' | 'tcsh' | 'codes' | 'help', CliResult>;

beforeAll(async () => {
  [handle] = await Promise.all([createServerDatabase({ poolSize: 2 }), ensureDist()]);
  env = { DATABASE_URL: handle.url!, NO_COLOR: '1' };
  folder = mkdtempSync(join(tmpdir(), 'redeemctl-completion-'));
  // `redeemctl` on PATH, as the script calls the command it completes for values.
  mkdirBin(folder);
  await seed(handle.database.db, await readFixtureFile(join(REPO_ROOT, 'fixtures/demo.json')));
  const [bash, zsh, fish, tcsh, codes, help] = await Promise.all([
    cli('completion', 'bash'),
    cli('completion', 'zsh'),
    cli('completion', 'fish'),
    cli('completion', 'tcsh'),
    cli('__complete', 'rewards', '--', 'CO'),
    cli('--help'),
  ]);
  out = { bash, zsh, fish, tcsh, codes, help };
});
afterAll(async () => {
  await handle?.drop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function mkdirBin(dir: string): void {
  const shim = join(dir, 'redeemctl');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
}

/** Sources the script in bash and completes each line (words; the last one is under the cursor). */
function completeInBash(script: string, lines: string[][]): string[] {
  const scriptFile = join(folder, 'redeemctl.bash');
  writeFileSync(scriptFile, script);
  const calls = lines
    .map((words) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _redeemctl; echo "\${COMPREPLY[*]}"`)
    .join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${scriptFile}'\n${calls}`], {
    cwd: folder,
    env: { PATH: `${folder}:${process.env.PATH}`, HOME: folder, ...env },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').slice(0, lines.length);
}

describe('redeemctl completion bash', () => {
  it('prints a script bash accepts, which completes commands, flags, choices and reward codes', async () => {
    const { bash } = out;
    expect(bash.code, bash.stderr).toBe(0);
    expect(bash.stderr).toBe('');
    const syntax = spawnSync('bash', ['-n'], { input: bash.stdout, encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);

    const replies = completeInBash(bash.stdout, [
      ['redeemctl', 'rede'],
      ['redeemctl', 'redeem', '--qua'],
      ['redeemctl', 'redeem', '--reward', 'CO'],
      ['redeemctl', 'redeem', '--mode', ''],
      ['redeemctl', 'codes', 'im'],
      ['redeemctl', 'codes', 'import', '--d'],
      ['redeemctl', '--merchant', 'Demo Coffee Co', 'rewards', 'show', 'TO'],
      ['redeemctl', '--merchant', 'Demo'],
      ['redeemctl', 'events', 'replay', '--error-code', 'INSUFFICIENT_'],
      ['redeemctl', '--database-url', 'postgres://127.0.0.1:1/none', 'redeem', '--reward', ''],
    ]);
    expect(replies).toEqual([
      'redeem redemptions',
      '--quantity',
      'COFFEE-MUG COFFEE-VOUCHER',
      'calc direct force',
      'import imports',
      '--dry-run --database-url --data-dir',
      'TOTE-BAG',
      'Demo\\ Coffee\\ Co',
      'INSUFFICIENT_CODES INSUFFICIENT_POINTS',
      // The database typed on the line is the one asked: unreachable, so nothing, and no noise.
      '',
    ]);
  });
});

describe('redeemctl completion zsh | fish (content only: neither shell is installed here)', () => {
  it('zsh: the #compdef header, the command tree, and the __complete hook', () => {
    const { zsh } = out;
    expect(zsh.code, zsh.stderr).toBe(0);
    expect(zsh.stdout.startsWith('#compdef redeemctl\n')).toBe(true);
    expect(zsh.stdout).toContain(`'redeemctl codes') echo 'import stats export void imports' ;;`);
    expect(zsh.stdout).toContain(`'redeemctl redeem|--reward') echo 'dynamic rewards' ;;`);
    expect(zsh.stdout).toContain('--lock-wait 0 __complete');
    expect(zsh.stdout).toContain('compdef _redeemctl redeemctl');
  });

  it('fish: a complete line per subcommand and flag, and the __complete hook for --reward', () => {
    const { fish } = out;
    expect(fish.code, fish.stderr).toBe(0);
    expect(fish.stdout).toContain("complete -c redeemctl -f -n '__redeemctl_at \\'redeemctl\\'' -a redeem -d");
    expect(fish.stdout).toContain("complete -c redeemctl -n '__redeemctl_at \\'redeemctl redeem\\'' -l quantity -r -d 'units, 1..1000'");
    expect(fish.stdout).toContain("-l reward -x -a '(__redeemctl_dynamic rewards)'");
    expect(fish.stdout).toContain('__complete $argv[1] -- (commandline -ct)');
  });

  it('an unknown shell is a usage error naming the three', () => {
    const { tcsh } = out;
    expect(tcsh.code).toBe(2);
    expect(tcsh.stdout).toBe('');
    expect(tcsh.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});

describe('redeemctl __complete', () => {
  it('prints the merchant reward codes starting with the prefix, one a line; hidden from --help', () => {
    const { codes, help } = out;
    expect(codes).toMatchObject({ code: 0, stdout: 'COFFEE-MUG\nCOFFEE-VOUCHER\n', stderr: '' });
    expect(help.stdout).toContain('completion <shell>');
    expect(help.stdout).not.toContain('__complete');
  });

  it('is silent and creates nothing where there is no database', async () => {
    const empty = mkdtempSync(join(folder, 'empty-'));
    const none = await runBinary(['__complete', 'rewards', 'CO'], { REDEEMCTL_LOCK_WAIT: '30' }, empty);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(empty, '.redeemctl'))).toBe(false);
  });
});
