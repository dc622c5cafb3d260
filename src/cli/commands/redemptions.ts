import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { writeJson, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';

// `redemptions list`: parse, call src/lookup/, print. docs/lookup.md.

interface ListOptions {
  user: string;
  since?: string;
  reward?: string;
  limit?: string;
  json?: boolean;
}

export function registerRedemptionsCommands(program: Command, cli: ProgramBuilder): void {
  const redemptions = program.command('redemptions').description("look up a member's redemptions");

  redemptions
    .command('list')
    .description("a member's redemptions (ledger rows), newest first: event id, reward, qty, points, status, codes")
    .requiredOption('--user <user>', 'member: uuid, email or tel')
    .option('--since <when>', 'redeemed at or after: a duration ago (30m, 24h, 7d) or an ISO-8601 time')
    .option('--reward <reward>', 'only this reward: uuid or reward_code')
    .option('--limit <n>', 'at most this many rows, 1..1000', '50')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ListOptions>(async (ctx, options) => {
        const limit = parseWholeNumber('--limit', options.limit ?? '50', 1, 1000);
        const { parseSince } = await import('../../monitoring/duration.js');
        const since = options.since === undefined ? null : parseSince('--since', options.since);
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { refuse } = await import('../refuse.js');
        const { findMember } = await import('../../lookup/members.js');
        const { kind, profile } = await findMember(db, merchantId, options.user);
        if (!profile) return refuse(ctx.io, options.json, 'USER_NOT_FOUND', `No member with ${kind} ${options.user}`);

        let rewardId: string | null = null;
        if (options.reward !== undefined) {
          const { findRewardId } = await import('../../lookup/rewardNotFound.js');
          const reward = await findRewardId(db, merchantId, options.reward);
          if (reward.refusal) return refuse(ctx.io, options.json, 'REWARD_NOT_FOUND', reward.refusal.message, { suggestions: reward.refusal.suggestions });
          rewardId = reward.id;
        }

        const { memberRedemptions } = await import('../../lookup/redemptions.js');
        const found = await memberRedemptions(db, { merchantId, userId: profile.id, rewardId, since, limit });
        if (options.json) {
          writeJson(ctx.io, {
            member: { id: profile.id, email: profile.email, tel: profile.tel },
            filters: { reward: options.reward ?? null, since: since?.toISOString() ?? null, limit },
            ...found,
          });
          return 0;
        }
        const { countLine, renderRedemptionTable } = await import('./render/redemptions.js');
        const who = profile.email ?? profile.tel ?? profile.id;
        if (found.redemptions.length === 0) writeLine(ctx.io, `No redemptions of ${who} match.`);
        else writeLine(ctx.io, [renderRedemptionTable(ctx.io, found.redemptions), countLine(found.redemptions.length, found.truncated, `redemption row(s) of ${who}`)].join('\n'));
        return 0;
      }),
    );
}
