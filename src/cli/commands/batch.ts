import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import type { CommandContext } from '../context.js';
import { parseMode, parseWholeNumber, requireText } from '../parse.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';
import { UsageError } from '../../shared/errors.js';

// `batch run` and `batch status`: flags, then src/batch/runUntilStopped.ts or statusOutcome.ts.

export const MAX_CONCURRENCY = 32;
/**
 * Rows per database transaction (docs/batch.md, "Groups"): the time bound limits how long a group
 * holds its locks; this limits the work a rolled-back group redoes. The default is written here,
 * not imported: src/batch is loaded only once a batch command runs (--help stays light); it equals
 * src/batch/grantGroup.ts's DEFAULT_GROUP_SIZE (tests/batch/groups.test.ts checks).
 */
export const MAX_GROUP_SIZE = 500;
const DEFAULT_GROUP_SIZE = '50';

function registerRun(batch: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = batch
    .command('run')
    .description('grant every row of a CSV through the engine; rerunning the same file grants nothing twice')
    .argument('<file>', 'CSV with a header: user_id|email|tel, reward_id|reward_code, and optional quantity, mode, note')
    .option('--reason <text>', 'why (required; recorded with every row, after which a row\'s note is appended)')
    .option('--mode <mode>', 'calc (checks, points charged) or direct (free grant); a row\'s mode column overrides it', 'calc')
    .option('--concurrency <n>', `rows (or groups of rows) in flight at once, 1..${MAX_CONCURRENCY}`, '4')
    .option('--group-size <n>', `rows granted per database transaction, 1..${MAX_GROUP_SIZE} (1: a transaction per row)`, DEFAULT_GROUP_SIZE)
    .option('--all-or-nothing', 'check every row first (quotes, shared balances, pools, stock, limits); grant nothing if any would fail')
    .option('--dry-run', 'quote every row and show the outcome; write nothing')
    .option('--report <out>', 'write a per-row report CSV here, row by row as they finish')
    .option('--batch-id <id>', 'the batch id (default: derived from the merchant and the file\'s sha256)')
    .option('--yes', 'go ahead without asking (required when stdin is not a terminal, unless --dry-run)')
    .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
    .option('--json', 'one JSON document on stdout (per-row results up to 10,000 rows)');
  cli.action(command, async (ctx, options, [file], self) => {
    const mode = parseMode(options.mode, ['calc', 'direct']) as 'calc' | 'direct';
    const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1, MAX_CONCURRENCY);
    const groupSize = parseWholeNumber('--group-size', options.groupSize, 1, MAX_GROUP_SIZE);
    const reason = requireText('--reason', options.reason, 'for a batch run (it is recorded with every row)');
    const actor = ctx.actor(options.actor);
    const heartbeatMs = parseWholeNumber('REDEEMCTL_BATCH_HEARTBEAT_MS', ctx.io.env.REDEEMCTL_BATCH_HEARTBEAT_MS ?? '5000', 100, 600_000);
    const { runUntilStopped } = await import('../../batch/runUntilStopped.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderInterrupted, renderRun, tooManyRowsForJson } = await import('./render/batch.js');
    const confirmRun = await runConfirmation(ctx, file, !(options.dryRun ?? false) && !options.yes);
    const { database, merchantId } = await ctx.scope();
    const resume = commandLine(self);
    const outcome = await runUntilStopped(database.db, ctx.io, database.location, {
      file,
      merchantId,
      actor,
      reason,
      mode,
      concurrency,
      groupSize,
      dryRun: options.dryRun ?? false,
      allOrNothing: options.allOrNothing ?? false,
      batchId: options.batchId,
      reportPath: options.report,
      commandLine: resume,
      heartbeatMs,
      confirm: confirmRun,
    });
    return emit(ctx, outcome, renderRun, {
      notesWithJson: tooManyRowsForJson,
      // --json still gets its one document (status "interrupted", rows_done); the story goes to stderr.
      stopped: (summary, signal) => renderInterrupted(summary, signal, resume),
    });
  });
}

/**
 * The question `batch run` asks before it writes: on a terminal, once the file is read and checked
 * (with the counts); without one, nothing waits: refused before any work unless --yes.
 */
async function runConfirmation(ctx: CommandContext, file: string, ask: boolean) {
  if (!ask) return undefined;
  const { confirm } = await import('../confirm.js');
  const { describeTarget } = await import('../target.js');
  const { formatCount } = await import('../../shared/format.js');
  const target = describeTarget(ctx);
  if (!ctx.io.stdin?.isTTY) await confirm(ctx.io, `Grant the rows of ${file} (${target})?`, '--yes');
  return (plan: { batchId: string; rows: number; grantable: number; mode: string }) =>
    confirm(ctx.io, `Grant ${formatCount(plan.grantable)} of ${formatCount(plan.rows)} rows of ${file} as batch ${plan.batchId}, mode ${plan.mode} (${target})?`, '--yes');
}

function registerStatus(batch: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = batch
    .command('status')
    .description('list batches with their counts, or one batch in detail')
    .argument('[batch-id]', 'one batch (b-… or the --batch-id it was run with)')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, _options, [batchId]) => {
    const { batchList, oneBatch } = await import('../../batch/statusOutcome.js');
    if (batchId !== undefined && ctx.format === 'csv') throw new UsageError('--output csv lists batches: give no batch id (one batch is --output table or json)');
    const { renderOneBatch, renderStatusList, statusListing } = await import('./render/batch.js');
    const { db, merchantId } = await ctx.scope();
    if (batchId === undefined) return emit(ctx, await batchList(db, merchantId), renderStatusList, { listing: statusListing });
    return emit(ctx, await oneBatch(db, merchantId, batchId), renderOneBatch);
  });
}

export function registerBatchCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const batch = program.command('batch').description('bulk grants from CSV: run a file, list batches (docs/batch.md)');
  registerRun(batch, cli);
  registerStatus(batch, cli);
}
