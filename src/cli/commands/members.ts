import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { writeJson, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';
import { UsageError } from '../../shared/errors.js';

// `members find` and `members show`: parse, call src/lookup/, print. docs/lookup.md.

interface FindOptions {
  limit?: string;
  json?: boolean;
}

export function registerMembersCommands(program: Command, cli: ProgramBuilder): void {
  const members = program.command('members').description('look up members: find by email or tel, show one with balance and redemptions');

  members
    .command('find')
    .description('members whose email or tel contains the fragment (case-insensitive); exact, then prefix matches first')
    .argument('<fragment>', 'part of an email or tel (a tel also matches by its digits: "555 0100" finds +15550100001)')
    .option('--limit <n>', 'at most this many, 1..1000', '20')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<FindOptions>(async (ctx, options, command) => {
        const fragment = command.args[0]!;
        if (fragment.trim() === '') throw new UsageError('members find: <fragment> is empty: give part of an email or tel');
        const limit = parseWholeNumber('--limit', options.limit ?? '20', 1, 1000);
        const { db } = await ctx.db();
        const { findMembers } = await import('../../lookup/members.js');
        const found = await findMembers(db, await ctx.merchantId(), fragment, limit);
        if (options.json) writeJson(ctx.io, { fragment, limit, ...found });
        else writeLine(ctx.io, (await import('./render/members.js')).renderMemberMatches(ctx.io, fragment, found.members, found.truncated));
        // No match is an answer, not a refusal.
        return 0;
      }),
    );

  members
    .command('show')
    .description('one member: tier, persona, tags, points balance and latest redemptions (event ids, codes, status)')
    .argument('<member>', 'member: uuid, email or tel')
    .option('--limit <n>', 'latest redemptions to list, 1..1000', '10')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<FindOptions>(async (ctx, options, command) => {
        const key = command.args[0]!;
        const limit = parseWholeNumber('--limit', options.limit ?? '10', 1, 1000);
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { findMember } = await import('../../lookup/members.js');
        const { kind, profile } = await findMember(db, merchantId, key);
        if (!profile) {
          const { refuse } = await import('../refuse.js');
          return refuse(ctx.io, options.json, 'USER_NOT_FOUND', `No member with ${kind} ${key}`);
        }
        const { memberRedemptions } = await import('../../lookup/redemptions.js');
        const { redemptions, truncated } = await memberRedemptions(db, { merchantId, userId: profile.id, limit });
        if (options.json) writeJson(ctx.io, { member: profile, redemptions, limit, truncated });
        else writeLine(ctx.io, (await import('./render/members.js')).renderMember(ctx.io, profile, redemptions, truncated));
        return 0;
      }),
    );
}
