import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `rewards list` and `rewards show`: flags, then src/lookup/outcomes.ts. docs/lookup.md.

function registerList(rewards: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = rewards
    .command('list')
    .description('every reward of the merchant by reward_code: price per tier, stock, pool, limits, window')
    .option('--limit <n>', 'at most this many, 1..1000', '100')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 1000);
    const { rewardList } = await import('../../lookup/outcomes.js');
    const { renderRewardList, rewardListing } = await import('./render/rewards.js');
    const { db, merchantId } = await ctx.scope();
    return emit(ctx, await rewardList(db, merchantId, limit), renderRewardList, { listing: rewardListing });
  });
}

function registerShow(rewards: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = rewards
    .command('show')
    .description('one reward: eligibility, price per tier and the pricing conditions, stock, pool, limits, window')
    .argument('<reward>', 'reward: uuid or reward_code')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, _options, [key]) => {
    const { rewardCard } = await import('../../lookup/outcomes.js');
    const { renderReward } = await import('./render/rewards.js');
    const { db, merchantId } = await ctx.scope();
    const outcome = await rewardCard(db, merchantId, key);
    return emit(ctx, outcome, renderReward, { refusal: { command: 'redeemctl rewards show', reward: key } });
  });
}

export function registerRewardsCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const rewards = program.command('rewards').description('look up rewards: price per tier, stock, code pool, limits, window');
  registerList(rewards, cli);
  registerShow(rewards, cli);
}
