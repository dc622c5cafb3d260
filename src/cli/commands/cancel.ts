import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { exactlyOne, parseChoice, parseWholeNumber, requireText } from '../parse.js';
import { confirm } from '../confirm.js';
import { emit } from '../emit.js';

// `cancel`, `use` and `unuse`: the engine's cancelAndUse (cancel through cancelUntilStopped, which
// stops between chunks on Ctrl-C), whose verdict is the exit code.

const ACTOR_HELP = 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)';
/** The largest --chunk-size: a chunk holds its members' wallets until it commits. */
const MAX_CHUNK_ROWS = 10_000;

function registerCancel(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('cancel')
    .description('cancel redemptions and refund their points (by redemption, code, event or batch)')
    .option('--redemption <id>', 'one ledger row, by its id')
    .option('--code <RWD…>', 'one ledger row, by its redemption code')
    .option('--event <id>', 'every row of one request')
    .option('--batch <id>', 'every row a `batch run` wrote')
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--codes <release|void>', 'return codes to the pool, or retire codes the member has seen', 'release')
    .option('--force-used', 'cancel and refund rows already marked used')
    .option('--dry-run', 'show what would be cancelled; change nothing')
    .option('--yes', 'confirm a batch cancel without a prompt')
    .option('--chunk-size <rows>', `rows cancelled per transaction, 1..${MAX_CHUNK_ROWS} (default: 500); a stopped cancel resumes when run again`)
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options, _args, self) => {
    const [by, value] = exactlyOne(options, { redemption: '--redemption', code: '--code', event: '--event', batch: '--batch' });
    const reason = requireText('--reason', options.reason, 'to cancel');
    const codes = parseChoice('--codes', options.codes, ['release', 'void'] as const);
    const chunkRows = options.chunkSize === undefined ? undefined : parseWholeNumber('--chunk-size', options.chunkSize, 1, MAX_CHUNK_ROWS);
    const actor = ctx.actor(options.actor);
    // A batch cancel can refund thousands of rows: it asks first (or takes --yes).
    if (by === 'batch' && !options.dryRun && !options.yes) {
      await confirm(ctx.io, `Cancel every redemption of batch ${value}?`, '--yes');
    }
    const { cancelUntilStopped } = await import('../../engine/cancelUntilStopped.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderCancel, renderCancelStopped } = await import('./render/redeem.js');
    const { db, merchantId } = await ctx.scope();
    const request = { merchantId, by, value, actor, reason, codes, forceUsed: options.forceUsed ?? false, dryRun: options.dryRun ?? false };
    const resume = commandLine(self);
    const outcome = await cancelUntilStopped(db, ctx.io, request, { chunkRows, commandLine: resume });
    return emit(ctx, outcome, renderCancel, {
      stopped: (result, signal) => renderCancelStopped(result, signal, resume),
      refusal: { command: 'redeemctl cancel' },
    });
  });
}

/** `use` marks a redemption used; `unuse` takes the mark back. */
function registerUse(program: CommandUnknownOpts, cli: ProgramBuilder, used: boolean): void {
  const command = program
    .command(used ? 'use' : 'unuse')
    .description(used ? 'mark a redemption used (handed over, scanned at the till)' : 'take back a "used" mark')
    .option('--redemption <id>', 'the ledger row, by its id')
    .option('--code <RWD…>', 'the ledger row, by its redemption code')
    .option('--note <text>', 'a note for the audit log')
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    const [by, value] = exactlyOne(options, { redemption: '--redemption', code: '--code' });
    const actor = ctx.actor(options.actor);
    const { setUsed } = await import('../../engine/cancelAndUse.js');
    const { bySuccess } = await import('../../shared/outcome.js');
    const { renderUse } = await import('./render/redeem.js');
    const { db, merchantId } = await ctx.scope();
    const request = { merchantId, by, value, used, actor, ...(options.note !== undefined && { note: options.note }) };
    const outcome = bySuccess(await setUsed(db, request));
    return emit(ctx, outcome, renderUse, { refusal: { command: `redeemctl ${command.name()}` } });
  });
}

export function registerCancelCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  registerCancel(program, cli);
  registerUse(program, cli, true);
  registerUse(program, cli, false);
}
