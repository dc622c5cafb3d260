import { Command, CommanderError, Option, type CommandUnknownOpts, type OptionValues } from '@commander-js/extra-typings';
import { CommandContext, type GlobalOptions } from './context.js';
import type { CliIO } from '../shared/io.js';
import { registerDbCommands } from './commands/db.js';
import { registerRedeemCommands } from './commands/redeem.js';
import { registerCancelCommands } from './commands/cancel.js';
import { registerCodesCommands } from './commands/codes.js';
import { registerBatchCommands } from './commands/batch.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerServeCommands } from './commands/serve.js';
import { registerEventCommands } from './commands/events.js';
import { registerMonitoringCommands } from './commands/monitoring.js';
import { registerDashCommand } from './commands/dash.js';
import { registerMembersCommands } from './commands/members.js';
import { registerRewardsCommands } from './commands/rewards.js';
import { registerRedemptionsCommands } from './commands/redemptions.js';
import { registerConfigCommands } from './commands/config.js';
import { applyProfile, type AppliedProfile } from './profile.js';
import { registerCompleteCommand, registerCompletionCommand } from './commands/completion.js';
import { registerAuditCommand } from './commands/audit.js';
import { hintCommanderErrors } from './hints.js';
import { listingFormat } from './listing.js';
import { quietIO } from './output.js';

/** What an action reports back: its exit code (docs/conventions.md); nothing is 0. */
export type ActionResult = number | void;

/**
 * A command's work: its context, its options and arguments typed from the flags it declares
 * (@commander-js/extra-typings), and the command itself (for the command line it was run with).
 */
export type Action<Args extends unknown[], Opts extends OptionValues> = (
  ctx: CommandContext,
  options: Opts,
  args: Args,
  command: CommandUnknownOpts,
) => Promise<ActionResult>;

export interface ProgramState {
  exitCode: number;
}

export interface ActionOptions {
  /**
   * false: the command runs outside any named context (the `config` commands, which manage them
   * and must work with none chosen, or with the chosen one broken). Default true.
   */
  profile?: boolean;
}

export interface ProgramBuilder {
  io: CliIO;
  /**
   * Gives `command` its action: lays the named context (docs/config.md) under the environment,
   * builds the context from the merged options, records the exit code, closes. Any parent options
   * are accepted (`any`): the context reads the global ones itself.
   */
  action<Args extends unknown[], Opts extends OptionValues>(command: Command<Args, Opts, any>, fn: Action<Args, Opts>, options?: ActionOptions): void;
}

/**
 * A fresh program per call (tests build many). Command modules register flags eagerly but import
 * their implementation inside the action, so `--help` loads neither pg, PGlite, Kafka nor Ink.
 */
export function createProgram(io: CliIO, state: ProgramState = { exitCode: 0 }): CommandUnknownOpts {
  const program = new Command('redeemctl')
    .description('Loyalty reward redemption: engine, worker, API and operator tools')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    // Settings resolve flag, then environment (read from io.env, so tests stay hermetic), then default.
    .addOption(new Option('--database-url <url>', 'PostgreSQL server (env: DATABASE_URL; default: the embedded database)'))
    .addOption(new Option('--data-dir <dir>', 'folder of the embedded database (env: REDEEMCTL_DATA_DIR; default: .redeemctl)'))
    .addOption(
      new Option('--merchant <id-or-name>', 'merchant to act for (env: REDEEMCTL_MERCHANT; default: the only one in the database)'),
    )
    .addOption(
      new Option(
        '--lock-wait <seconds>',
        'embedded database only: how long to wait while another process uses it; 0 refuses at once (env: REDEEMCTL_LOCK_WAIT; default: 10)',
      ),
    )
    .addOption(new Option('--verbose', "more detail on stderr: the Kafka client's own log lines (kafkajs)"))
    .addOption(
      new Option(
        '--context <name>',
        'the named profile whose settings to use where no flag or environment variable gives one (env: REDEEMCTL_CONTEXT; default: the current context of the profiles file; docs/config.md)',
      ),
    )
    .addOption(new Option('--quiet', 'for scripts: only the result; no notes, hints or progress on stderr (errors still print)'))
    .addOption(new Option('--utc', "show times in UTC, not in the merchant's time zone (JSON and CSV are always UTC)"));

  const builder: ProgramBuilder = {
    io,
    action(command, fn, options = {}) {
      command.action(async () => {
        const profile = options.profile === false ? { io } : await applyProfile(io, command.optsWithGlobals() as GlobalOptions);
        const ctx = contextOf(profile, command);
        try {
          const code = await fn(ctx, command.opts(), command.processedArgs, command);
          state.exitCode = typeof code === 'number' ? code : 0;
        } finally {
          await ctx.close();
        }
      });
    },
  };

  registerDemoCommand(program, builder);
  registerDbCommands(program, builder);
  registerRedeemCommands(program, builder);
  registerCancelCommands(program, builder);
  registerCodesCommands(program, builder);
  registerBatchCommands(program, builder);
  registerEventCommands(program, builder);
  registerWorkerCommand(program, builder);
  registerServeCommands(program, builder);
  registerMonitoringCommands(program, builder);
  registerDashCommand(program, builder);
  registerMembersCommands(program, builder);
  registerRewardsCommands(program, builder);
  registerRedemptionsCommands(program, builder);
  registerConfigCommands(program, builder);
  registerCompletionCommand(program, builder);
  registerCompleteCommand(program, builder);
  registerAuditCommand(program, builder);
  // Once every command is registered: each usage error ends with the hint naming its own --help.
  hintCommanderErrors(program);
  return program;
}

/**
 * The context of one run of `command`: each setting from its flag, then the environment (with the
 * named context under it, src/cli/profile.ts), then the default.
 */
function contextOf({ io, contextName, databaseProblem }: AppliedProfile, command: CommandUnknownOpts): CommandContext {
  const all = command.optsWithGlobals() as GlobalOptions & { quiet?: boolean };
  const output = listingFormat(command);
  return new CommandContext(all.quiet ? quietIO(io) : io, {
    ...(contextName !== undefined && { contextName }),
    ...(databaseProblem !== undefined && { databaseProblem }),
    databaseUrl: readEnvOrFlag(all.databaseUrl, io.env.DATABASE_URL),
    dataDir: all.dataDir ?? io.env.REDEEMCTL_DATA_DIR ?? '.redeemctl',
    merchant: readEnvOrFlag(all.merchant, io.env.REDEEMCTL_MERCHANT),
    lockWait: readEnvOrFlag(all.lockWait, io.env.REDEEMCTL_LOCK_WAIT),
    commandName: commandPath(command),
    verbose: all.verbose ?? false,
    json: output === undefined ? (all.json ?? false) : output === 'json',
    output,
    utc: all.utc ?? false,
  });
}

/** "redeemctl codes import": the command's words, without arguments or flags. */
function commandPath(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function readEnvOrFlag(flag: string | undefined, env: string | undefined): string | undefined {
  const value = flag ?? env;
  return value === '' ? undefined : value;
}

export { CommanderError };
