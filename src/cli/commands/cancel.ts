import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { writeJson, writeLine } from '../output.js';
import { exactlyOne, requireText } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { confirm } from '../confirm.js';

interface CancelOptions {
  redemption?: string;
  code?: string;
  event?: string;
  batch?: string;
  reason?: string;
  codes?: string;
  forceUsed?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  actor?: string;
  json?: boolean;
}

interface UseOptions {
  redemption?: string;
  code?: string;
  note?: string;
  actor?: string;
  json?: boolean;
}

export function registerCancelCommands(program: Command, cli: ProgramBuilder): void {
  program
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
    .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<CancelOptions>(async (ctx, options) => {
        const [by, value] = exactlyOne<'redemption' | 'code' | 'event' | 'batch'>(options, { redemption: '--redemption', code: '--code', event: '--event', batch: '--batch' });
        const reason = requireText('--reason', options.reason, 'to cancel');
        if (options.codes !== 'release' && options.codes !== 'void') {
          throw new UsageError(`--codes must be release or void, got ${JSON.stringify(options.codes)}`);
        }
        const actor = ctx.actor(options.actor);
        // A batch cancel can refund thousands of rows: it asks first (or takes --yes).
        if (by === 'batch' && !options.dryRun && !options.yes) {
          await confirm(ctx.io, `Cancel every redemption of batch ${value}?`, '--yes');
        }
        const { cancel } = await import('../../engine/cancelAndUse.js');
        const result = await cancel((await ctx.db()).db, {
          merchantId: await ctx.merchantId(),
          by,
          value,
          actor,
          reason,
          codes: options.codes,
          forceUsed: options.forceUsed ?? false,
          dryRun: options.dryRun ?? false,
        });
        if (options.json) writeJson(ctx.io, result);
        else writeLine(ctx.io, (await import('./render/redeem.js')).renderCancel(ctx.io, result));
        return result.success ? 0 : 1;
      }),
    );

  for (const used of [true, false]) {
    program
      .command(used ? 'use' : 'unuse')
      .description(used ? 'mark a redemption used (handed over, scanned at the till)' : 'take back a "used" mark')
      .option('--redemption <id>', 'the ledger row, by its id')
      .option('--code <RWD…>', 'the ledger row, by its redemption code')
      .option('--note <text>', 'a note for the audit log')
      .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
      .option('--json', 'one JSON document on stdout')
      .action(
        cli.action<UseOptions>(async (ctx, options) => {
          const [by, value] = exactlyOne<'redemption' | 'code'>(options, { redemption: '--redemption', code: '--code' });
          const actor = ctx.actor(options.actor);
          const { setUsed } = await import('../../engine/cancelAndUse.js');
          const result = await setUsed((await ctx.db()).db, {
            merchantId: await ctx.merchantId(),
            by,
            value,
            used,
            actor,
            ...(options.note !== undefined && { note: options.note }),
          });
          if (options.json) writeJson(ctx.io, result);
          else writeLine(ctx.io, (await import('./render/redeem.js')).renderUse(ctx.io, result));
          return result.success ? 0 : 1;
        }),
      );
  }
}
