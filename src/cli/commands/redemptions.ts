import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `redemptions list`: flags, then src/lookup/outcomes.ts. docs/lookup.md.

function registerList(redemptions: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = redemptions
    .command('list')
    .description("a member's redemptions (ledger rows), newest first: event id, reward, qty, points, status, codes")
    .requiredOption('--user <user>', 'member: uuid, email or tel')
    .option('--since <when>', 'redeemed at or after: a duration ago (30m, 24h, 7d) or an ISO-8601 time')
    .option('--reward <reward>', 'only this reward: uuid or reward_code')
    .option('--limit <n>', 'at most this many rows, 1..1000', '50')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 1000);
    const { parseSince } = await import('../../shared/durations.js');
    const since = options.since === undefined ? null : parseSince('--since', options.since);
    const { memberRedemptionList } = await import('../../lookup/outcomes.js');
    const { memberRedemptionListing, renderMemberRedemptions } = await import('./render/redemptions.js');
    const { db, merchantId } = await ctx.scope();
    const outcome = await memberRedemptionList(db, merchantId, { user: options.user, reward: options.reward, since, limit });
    const refusal = { command: 'redeemctl redemptions list', user: options.user, reward: options.reward ?? '' };
    return emit(ctx, outcome, renderMemberRedemptions, { listing: memberRedemptionListing, refusal });
  });
}

export function registerRedemptionsCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const redemptions = program.command('redemptions').description("look up a member's redemptions");
  registerList(redemptions, cli);
}
