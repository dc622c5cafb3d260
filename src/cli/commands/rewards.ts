import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { writeJson, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';

// `rewards list` and `rewards show`: parse, call src/lookup/, print. docs/lookup.md.

interface ListOptions {
  limit?: string;
  json?: boolean;
}

export function registerRewardsCommands(program: Command, cli: ProgramBuilder): void {
  const rewards = program.command('rewards').description('look up rewards: price per tier, stock, code pool, limits, window');

  rewards
    .command('list')
    .description('every reward of the merchant by reward_code: price per tier, stock, pool, limits, window')
    .option('--limit <n>', 'at most this many, 1..1000', '100')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ListOptions>(async (ctx, options) => {
        const limit = parseWholeNumber('--limit', options.limit ?? '100', 1, 1000);
        const { db } = await ctx.db();
        const { rewardDetails } = await import('../../lookup/rewards.js');
        const found = await rewardDetails(db, await ctx.merchantId(), { limit });
        if (options.json) writeJson(ctx.io, found);
        else writeLine(ctx.io, (await import('./render/rewards.js')).renderRewardList(ctx.io, found.rewards, found.truncated));
        return 0;
      }),
    );

  rewards
    .command('show')
    .description('one reward: eligibility, price per tier and the pricing conditions, stock, pool, limits, window')
    .argument('<reward>', 'reward: uuid or reward_code')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ListOptions>(async (ctx, options, command) => {
        const key = command.args[0]!;
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { findRewardId } = await import('../../lookup/rewardNotFound.js');
        const found = await findRewardId(db, merchantId, key);
        if (found.refusal) {
          const { refuse } = await import('../refuse.js');
          return refuse(ctx.io, options.json, 'REWARD_NOT_FOUND', found.refusal.message, { suggestions: found.refusal.suggestions });
        }
        const { rewardDetails } = await import('../../lookup/rewards.js');
        const reward = (await rewardDetails(db, merchantId, { rewardId: found.id, limit: 1 })).rewards[0]!;
        if (options.json) writeJson(ctx.io, reward);
        else writeLine(ctx.io, (await import('./render/rewards.js')).renderReward(ctx.io, reward));
        return 0;
      }),
    );
}
