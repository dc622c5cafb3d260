import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { OperatorAudit } from '../ops/operatorAudit.js';
import type { CommandContext } from './context.js';
import { requireText } from './parse.js';

// The flags of the commands that publish to Kafka or move offsets (events inject, replay, rewind,
// dlq redrive): a preview unless --execute, and then a --reason (required) and who acts, recorded
// in the audit log (docs/operations.md, "State-changing commands").

export interface OperatorFlags {
  execute?: true | undefined;
  reason?: string | undefined;
  actor?: string | undefined;
}

export function withOperatorOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(command: Command<Args, Opts, Globals>, act: string) {
  return command
    .addOption(new Option('--execute', `${act} (default: a preview that changes nothing)`))
    .addOption(new Option('--reason <text>', 'why (required with --execute; recorded in the audit log)'))
    .addOption(new Option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)'));
}

/**
 * Executing: the reason (exit 2 naming --reason when missing, before anything is read or sent) and
 * the actor. A preview needs neither. Call it before any work.
 */
export function operatorIntent(ctx: CommandContext, flags: OperatorFlags): { reason: string; actor: string } | undefined {
  if (!flags.execute) return undefined;
  const reason = requireText('--reason', flags.reason, 'with --execute (it is recorded in the audit log); nothing was changed');
  return { reason, actor: ctx.actor(flags.actor) };
}

/**
 * Where the audit row goes: the database, opened now (before the action, so a database that is
 * not there stops the command before it changes anything), for the merchant in context, or for
 * none (`merchant: false`: a consumer group or the dead-letter topic belongs to no merchant).
 */
export async function openAudit(ctx: CommandContext, intent: { reason: string; actor: string }, merchant: boolean): Promise<OperatorAudit> {
  if (merchant) {
    const { db, merchantId } = await ctx.scope();
    return { db, merchantId, ...intent };
  }
  return { db: (await ctx.db()).db, merchantId: null, ...intent };
}
