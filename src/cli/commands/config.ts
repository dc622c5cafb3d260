import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import type { GlobalOptions } from '../context.js';
import { emit } from '../emit.js';

// `config …`: the named profiles (docs/config.md). These commands run outside any context
// ({ profile: false }) and never open a database: they read and write the profiles file only.

const JSON_HELP = 'one JSON document on stdout';
const NO_PROFILE = { profile: false };

/** --context, read by the `config` commands themselves (they do not run in a context). */
function contextFlag(command: CommandUnknownOpts): string | undefined {
  return (command.optsWithGlobals() as GlobalOptions).context;
}

async function state(command: CommandUnknownOpts, env: Record<string, string | undefined>, lenient: boolean) {
  const { profilesState } = await import('../../profiles/select.js');
  return profilesState(env, contextFlag(command), { lenient });
}

function registerGetContexts(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('get-contexts')
    .description('the contexts: * marks the one in use; the database as a reference ($VAR, file PATH) or a URL without secrets')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, _args, self) => {
      const { listContexts } = await import('../../profiles/manage.js');
      const { renderContexts } = await import('./render/config.js');
      return emit(ctx, listContexts(await state(self, ctx.io.env, true)), renderContexts);
    },
    NO_PROFILE,
  );
}

function registerCurrentContext(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('current-context')
    .description('the context in use (by --context, REDEEMCTL_CONTEXT or the file); none is exit 1')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, _args, self) => {
      const { currentContext } = await import('../../profiles/manage.js');
      const { renderCurrentContext, noCurrentContext } = await import('./render/config.js');
      const outcome = currentContext(await state(self, ctx.io.env, false));
      // None in use: stdout stays empty for `$(redeemctl config current-context)`; why, on stderr.
      if (outcome.result.name === null && !ctx.json) {
        ctx.io.stderr.write(`${noCurrentContext(outcome.result.file)}\n`);
        return outcome.exitCode;
      }
      return emit(ctx, outcome, renderCurrentContext);
    },
    NO_PROFILE,
  );
}

function registerUseContext(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('use-context')
    .description("make NAME the file's current context: commands use it unless --context or REDEEMCTL_CONTEXT names another")
    .argument('<name>', 'a context of `config get-contexts`')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, [name], self) => {
      const { useContext } = await import('../../profiles/manage.js');
      const { renderUsed } = await import('./render/config.js');
      const { file, profiles } = await state(self, ctx.io.env, true);
      return emit(ctx, useContext(file, profiles, name), renderUsed);
    },
    NO_PROFILE,
  );
}

function registerDeleteContext(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('delete-context')
    .description('remove a context from the file (when it is the current one, no context is current after)')
    .argument('<name>', 'a context of `config get-contexts`')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, [name], self) => {
      const { deleteContext } = await import('../../profiles/manage.js');
      const { renderDeleted } = await import('./render/config.js');
      const { file, profiles } = await state(self, ctx.io.env, true);
      return emit(ctx, deleteContext(file, profiles, name), renderDeleted);
    },
    NO_PROFILE,
  );
}

function registerView(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('view')
    .description('the profiles file, every context with its settings; secrets are never shown')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, _args, self) => {
      const { viewProfiles } = await import('../../profiles/manage.js');
      const { renderView } = await import('./render/config.js');
      return emit(ctx, viewProfiles(await state(self, ctx.io.env, true)), renderView);
    },
    NO_PROFILE,
  );
}

export function registerConfigCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const config = program
    .command('config')
    .description('named profiles (contexts): database, brokers, topic, merchant and actor per environment; docs/config.md');
  registerGetContexts(config, cli);
  registerCurrentContext(config, cli);
  registerUseContext(config, cli);
  registerSetContext(config, cli);
  registerDeleteContext(config, cli);
  registerView(config, cli);
}

/** --database-url → databaseUrl: where commander keeps a flag's value. */
const attributeOf = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function registerSetContext(config: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = config
    .command('set-context')
    .description('create or update a context with the settings given (an empty value removes one); a URL with a password is refused')
    .argument('<name>', 'the context: letters, digits, ".", "_" and "-"')
    // --database-url, --data-dir and --merchant are also the program's own flags: commander hands
    // their values to the program, so the action reads them with optsWithGlobals(); listed here for --help.
    .addOption(new Option('--database-url <url>', 'a PostgreSQL URL WITHOUT a password (one with a password is refused)'))
    .addOption(new Option('--database-url-env <VAR>', 'the environment variable holding the URL, read when a command runs'))
    .addOption(new Option('--database-url-file <path>', 'a file holding the URL (mode 0600), read when a command runs'))
    .addOption(new Option('--data-dir <dir>', 'the embedded database folder instead of a server'))
    .option('--brokers <host:port,…>', 'Kafka bootstrap brokers')
    .option('--topic <name>', 'the redemption events topic')
    .option('--merchant <id-or-name>', 'merchant to act for')
    .option('--actor <name>', 'who is acting, for audit rows')
    .option('--kafka-ssl-ca <file>', 'PEM CA certificate(s) for the brokers')
    .option('--kafka-sasl-mechanism <mechanism>', 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512')
    .option('--kafka-sasl-username <name>', 'SASL user')
    .option('--kafka-sasl-password-file <file>', 'file holding the SASL password (mode 0600)')
    .option('--json', JSON_HELP);
  cli.action(
    command,
    async (ctx, _options, [name], self) => {
      const { SETTABLE, setContext } = await import('../../profiles/manage.js');
      const { renderSet } = await import('./render/config.js');
      const { note } = await import('../output.js');
      const given = self.optsWithGlobals() as Record<string, unknown>;
      const values = Object.fromEntries(
        SETTABLE.map(({ key, flag }) => [key, given[attributeOf(flag)]]).filter(([, value]) => typeof value === 'string'),
      );
      const { file, profiles } = await state(self, ctx.io.env, true);
      const outcome = setContext(file, profiles, { name, values, cwd: process.cwd(), env: ctx.io.env });
      for (const warning of outcome.result.warnings) note(ctx.io, `warning: ${warning}`);
      return emit(ctx, outcome, renderSet);
    },
    NO_PROFILE,
  );
}
