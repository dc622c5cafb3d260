import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import type { CommandContext } from '../context.js';
import type { ResolvedKey } from '../../engine/resolve.js';
import { writeJson, writeLine } from '../output.js';
import { parseMode, parseWholeNumber, requireText } from '../parse.js';

interface RedeemOptions {
  user: string;
  reward: string;
  quantity?: string;
  mode?: string;
  eventId?: string;
  actor?: string;
  reason?: string;
  json?: boolean;
}

/** Member and reward by uuid or human key; a key that names nothing is refused like the engine would. */
async function resolveTarget(ctx: CommandContext, userKey: string, rewardKey: string) {
  const { resolveRewardId, resolveUserId } = await import('../../engine/resolve.js');
  const { db } = await ctx.db();
  const merchantId = await ctx.merchantId();
  const user = await resolveUserId(db, merchantId, userKey);
  const reward = await resolveRewardId(db, merchantId, rewardKey);
  return { db, merchantId, user, reward };
}

/** A key that names nothing: refused like the engine would; a reward_code with the nearest codes. */
async function notFound(ctx: CommandContext, options: RedeemOptions, user: ResolvedKey, reward: ResolvedKey): Promise<number> {
  const { refuse } = await import('../refuse.js');
  if (!user.id) return refuse(ctx.io, options.json, 'USER_NOT_FOUND', `No member with ${user.kind} ${options.user}`);
  const { describeUnknownReward } = await import('../../lookup/rewardNotFound.js');
  const { message, suggestions } = await describeUnknownReward((await ctx.db()).db, await ctx.merchantId(), options.reward);
  return refuse(ctx.io, options.json, 'REWARD_NOT_FOUND', message, { suggestions });
}

export function registerRedeemCommands(program: Command, cli: ProgramBuilder): void {
  program
    .command('redeem')
    .description('redeem a reward for one member (calc), or grant it (direct) or override the checks (force)')
    .requiredOption('--user <user>', 'member: uuid, email or tel')
    .requiredOption('--reward <reward>', 'reward: uuid or reward_code')
    .option('--quantity <n>', 'units, 1..1000', '1')
    .option('--mode <mode>', 'calc (all checks, points charged), direct (free grant) or force (checks skipped, points charged)', 'calc')
    .option('--event-id <id>', 'idempotency key: the same id never takes effect twice (default: a new uuid)')
    .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
    .option('--reason <text>', 'why (required for direct and force)')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<RedeemOptions>(async (ctx, options) => {
        const quantity = parseWholeNumber('--quantity', options.quantity ?? '1', 1, 1000);
        const mode = parseMode(options.mode);
        const reason = mode === 'calc' ? options.reason : requireText('--reason', options.reason, `with --mode ${mode}`);
        const actor = ctx.actor(options.actor);
        const { db, merchantId, user, reward } = await resolveTarget(ctx, options.user, options.reward);
        if (!user.id || !reward.id) return notFound(ctx, options, user, reward);

        const { redeem } = await import('../../engine/redeem.js');
        const result = await redeem(db, {
          merchantId,
          userId: user.id,
          rewardId: reward.id,
          quantity,
          mode,
          ...(options.eventId !== undefined && { eventId: options.eventId }),
          sourceType: 'cli',
          actor,
          ...(reason !== undefined && { reason }),
        });
        if (options.json) writeJson(ctx.io, result);
        else writeLine(ctx.io, (await import('./render/redeem.js')).renderRedeem(ctx.io, result));
        return result.success ? 0 : 1;
      }),
    );

  program
    .command('quote')
    .description('price, eligibility and the largest quantity this member could redeem now; writes nothing')
    .requiredOption('--user <user>', 'member: uuid, email or tel')
    .requiredOption('--reward <reward>', 'reward: uuid or reward_code')
    .option('--quantity <n>', 'units to price, 1..1000', '1')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<RedeemOptions>(async (ctx, options) => {
        const quantity = parseWholeNumber('--quantity', options.quantity ?? '1', 1, 1000);
        const { db, merchantId, user, reward } = await resolveTarget(ctx, options.user, options.reward);
        if (!user.id || !reward.id) return notFound(ctx, options, user, reward);
        const { quote } = await import('../../engine/quote.js');
        const result = await quote(db, { merchantId, userId: user.id, rewardId: reward.id, quantity });
        if (options.json) writeJson(ctx.io, result);
        else writeLine(ctx.io, (await import('./render/redeem.js')).renderQuote(ctx.io, options.reward, options.user, result));
        // Exit 1 whenever redeem would refuse this request as quoted, not only when ineligible.
        return result.would_succeed ? 0 : 1;
      }),
    );
}
