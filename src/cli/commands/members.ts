import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `members find` and `members show`: flags, then src/lookup/outcomes.ts. docs/lookup.md.

function registerFind(members: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = members
    .command('find')
    .description('members whose email or tel contains the fragment (case-insensitive); exact, then prefix matches first')
    .argument('<fragment>', 'part of an email or tel (a tel also matches by its digits: "555 0100" finds +15550100001)')
    .option('--limit <n>', 'at most this many, 1..1000', '20')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options, [fragment]) => {
    if (fragment.trim() === '') throw new UsageError('members find: <fragment> is empty: give part of an email or tel');
    const limit = parseWholeNumber('--limit', options.limit, 1, 1000);
    const { memberMatches } = await import('../../lookup/outcomes.js');
    const { memberMatchListing, renderMemberMatches } = await import('./render/members.js');
    const { db, merchantId } = await ctx.scope();
    // No match is an answer, not a refusal: exit 0.
    return emit(ctx, await memberMatches(db, merchantId, fragment, limit), renderMemberMatches, { listing: memberMatchListing });
  });
}

function registerShow(members: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = members
    .command('show')
    .description('one member: tier, persona, tags, points balance and latest redemptions (event ids, codes, status)')
    .argument('<member>', 'member: uuid, email or tel')
    .option('--limit <n>', 'latest redemptions to list, 1..1000', '10')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options, [key]) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 1000);
    const { memberCard } = await import('../../lookup/outcomes.js');
    const { renderMember } = await import('./render/members.js');
    const { db, merchantId } = await ctx.scope();
    const outcome = await memberCard(db, merchantId, key, limit);
    return emit(ctx, outcome, renderMember, { refusal: { command: 'redeemctl members show', user: key } });
  });
}

export function registerMembersCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const members = program.command('members').description('look up members: find by email or tel, show one with balance and redemptions');
  registerFind(members, cli);
  registerShow(members, cli);
}
