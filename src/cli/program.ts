import { Command, CommanderError, Option } from 'commander';
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

/** What an action reports back: 0 done, 1 refused or partly failed (docs/product.md). */
export type ActionResult = number | void;
export type Action<O> = (ctx: CommandContext, options: O, command: Command) => Promise<ActionResult>;

export interface ProgramState {
  exitCode: number;
}

export interface ProgramBuilder {
  io: CliIO;
  /** Wraps an action: builds its context from the merged options, records its exit code, closes. */
  action<O>(fn: Action<O>): (...args: unknown[]) => Promise<void>;
}

/**
 * A fresh program per call (tests build many). Command modules register flags eagerly but import
 * their implementation inside the action, so `--help` loads neither pg, PGlite, Kafka nor Ink.
 */
export function createProgram(io: CliIO, state: ProgramState = { exitCode: 0 }): Command {
  const program = new Command('redeemctl')
    .description('Loyalty reward redemption: engine, worker, API and operator tools')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
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
    .addOption(new Option('--verbose', "more detail on stderr: the Kafka client's own log lines (kafkajs)"));

  const builder: ProgramBuilder = {
    io,
    action<O>(fn: Action<O>) {
      return async (...args: unknown[]) => {
        const command = args[args.length - 1] as Command;
        const all = command.optsWithGlobals() as O & GlobalOptions;
        const ctx = new CommandContext(io, {
          databaseUrl: readEnvOrFlag(all.databaseUrl, io.env.DATABASE_URL),
          dataDir: all.dataDir ?? io.env.REDEEMCTL_DATA_DIR ?? '.redeemctl',
          merchant: readEnvOrFlag(all.merchant, io.env.REDEEMCTL_MERCHANT),
          lockWait: readEnvOrFlag(all.lockWait, io.env.REDEEMCTL_LOCK_WAIT),
          commandName: commandPath(command),
          verbose: all.verbose ?? false,
        });
        try {
          const code = await fn(ctx, all, command);
          state.exitCode = typeof code === 'number' ? code : 0;
        } finally {
          await ctx.close();
        }
      };
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
  return program;
}

/** "redeemctl codes import": the command's words, without arguments or flags. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function readEnvOrFlag(flag: string | undefined, env: string | undefined): string | undefined {
  const value = flag ?? env;
  return value === '' ? undefined : value;
}

export { CommanderError };
