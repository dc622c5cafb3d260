import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseMode, parseWholeNumber, requireText } from '../parse.js';
import { emit } from '../emit.js';

// `redeem` and `quote`: the member and reward by the keys typed, then the engine
// (src/lookup/byKeys.ts). A key that names nothing is refused, exit 1 (docs/lookup.md).

const USER_HELP = 'member: uuid, email or tel';
const REWARD_HELP = 'reward: uuid or reward_code';

function registerRedeem(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('redeem')
    .description('redeem a reward for one member (calc), or grant it (direct) or override the checks (force)')
    .requiredOption('--user <user>', USER_HELP)
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--quantity <n>', 'units, 1..1000', '1')
    .option('--mode <mode>', 'calc (all checks, points charged), direct (free grant) or force (checks skipped, points charged)', 'calc')
    .option('--event-id <id>', 'idempotency key: the same id never takes effect twice (default: a new uuid)')
    .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
    .option('--reason <text>', 'why (required for direct and force)')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    const quantity = parseWholeNumber('--quantity', options.quantity, 1, 1000);
    const mode = parseMode(options.mode);
    const reason = mode === 'calc' ? options.reason : requireText('--reason', options.reason, `with --mode ${mode}`);
    const actor = ctx.actor(options.actor);
    const { redeemByKeys } = await import('../../lookup/byKeys.js');
    const { renderRedeem } = await import('./render/redeem.js');
    const { db, merchantId } = await ctx.scope();
    const request = { user: options.user, reward: options.reward, quantity, mode, eventId: options.eventId, actor, reason };
    const outcome = await redeemByKeys(db, merchantId, request);
    return emit(ctx, outcome, renderRedeem, { refusal: { command: 'redeemctl redeem', user: options.user, reward: options.reward } });
  });
}

function registerQuote(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('quote')
    .description('price, eligibility and the largest quantity this member could redeem now; writes nothing')
    .requiredOption('--user <user>', USER_HELP)
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--quantity <n>', 'units to price, 1..1000', '1')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    const quantity = parseWholeNumber('--quantity', options.quantity, 1, 1000);
    const { quoteByKeys } = await import('../../lookup/byKeys.js');
    const { renderQuote } = await import('./render/redeem.js');
    const { db, merchantId } = await ctx.scope();
    const outcome = await quoteByKeys(db, merchantId, { user: options.user, reward: options.reward, quantity });
    const refusal = { command: 'redeemctl quote', user: options.user, reward: options.reward };
    return emit(ctx, outcome, (io, quoted) => renderQuote(io, options.reward, options.user, quoted), { refusal });
  });
}

export function registerRedeemCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  registerRedeem(program, cli);
  registerQuote(program, cli);
}
