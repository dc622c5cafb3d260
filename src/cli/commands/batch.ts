import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { note, writeJson, writeLine } from '../output.js';
import { parseMode, parseWholeNumber, requireText } from '../parse.js';

interface RunOptions {
  mode?: string;
  concurrency?: string;
  dryRun?: boolean;
  allOrNothing?: boolean;
  report?: string;
  reason?: string;
  batchId?: string;
  actor?: string;
  json?: boolean;
}

interface StatusOptions {
  json?: boolean;
}

export const MAX_CONCURRENCY = 32;

export function registerBatchCommands(program: Command, cli: ProgramBuilder): void {
  const batch = program.command('batch').description('bulk grants from CSV: run a file, list batches (docs/batch.md)');

  batch
    .command('run')
    .description('grant every row of a CSV through the engine; rerunning the same file grants nothing twice')
    .argument('<file>', 'CSV with a header: user_id|email|tel, reward_id|reward_code, and optional quantity, mode, note')
    .option('--reason <text>', 'why (required; recorded with every row, after which a row\'s note is appended)')
    .option('--mode <mode>', 'calc (checks, points charged) or direct (free grant); a row\'s mode column overrides it', 'calc')
    .option('--concurrency <n>', `rows in flight at once, 1..${MAX_CONCURRENCY}`, '4')
    .option('--all-or-nothing', 'check every row first (quotes, shared balances, pools, stock, limits); grant nothing if any would fail')
    .option('--dry-run', 'quote every row and show the outcome; write nothing')
    .option('--report <out>', 'write a per-row report CSV here, row by row as they finish')
    .option('--batch-id <id>', 'the batch id (default: derived from the merchant and the file\'s sha256)')
    .option('--actor <name>', 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)')
    .option('--json', 'one JSON document on stdout (per-row results up to 10,000 rows)')
    .action(
      cli.action<RunOptions>(async (ctx, options, command) => {
        const file = command.args[0] as string;
        const mode = parseMode(options.mode, ['calc', 'direct']) as 'calc' | 'direct';
        const concurrency = parseWholeNumber('--concurrency', options.concurrency ?? '4', 1, MAX_CONCURRENCY);
        const reason = requireText('--reason', options.reason, 'for a batch run (it is recorded with every row)');
        const actor = ctx.actor(options.actor);
        const { runBatch } = await import('../../batch/runBatch.js');
        const { exitCodeOf } = await import('../../batch/summary.js');
        const { Progress } = await import('../../batch/progress.js');
        const { explainBatchError } = await import('../../batch/errors.js');
        const { signalName, watchInterrupt } = await import('../../shared/signals.js');
        const { commandLine } = await import('../commandLine.js');
        const heartbeatMs = parseWholeNumber('REDEEMCTL_BATCH_HEARTBEAT_MS', ctx.io.env.REDEEMCTL_BATCH_HEARTBEAT_MS ?? '5000', 100, 600_000);
        const { db, location } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const progress = new Progress(ctx.io);
        const dryRun = options.dryRun ?? false;
        const resume = commandLine(command);
        // Ctrl-C or SIGTERM: no new row starts, the rows in flight finish, the batch is marked
        // interrupted, and the command says how far it got (below). A second one stops at once.
        const interrupt = watchInterrupt({
          onSecond: (signal) => {
            progress.end();
            ctx.io.stderr.write(
              `\n${signal} again: stopping now. A row in flight is granted once or not at all (its transaction rolls back); ` +
                `to resume, run the same command again:\n  ${resume}\n`,
            );
          },
        });
        let summary;
        try {
          summary = await runBatch(db, {
            file,
            merchantId,
            actor,
            reason,
            mode,
            concurrency,
            dryRun,
            allOrNothing: options.allOrNothing ?? false,
            batchId: options.batchId,
            reportPath: options.report,
            onProgress: (outcomes, total) => progress.update({ done: outcomes.done, total, counts: outcomes.counts, dryRun }),
            signal: interrupt.signal,
            commandLine: resume,
            heartbeatMs,
          });
        } catch (error) {
          throw explainBatchError(error, location);
        } finally {
          interrupt.dispose();
          progress.end();
        }
        if (summary.status === 'interrupted') {
          const { OperatorAbortError } = await import('../../shared/errors.js');
          const { renderInterrupted } = await import('./render/batch.js');
          // --json still gets its one document (status "interrupted", rows_done); the story goes to stderr.
          if (options.json) writeJson(ctx.io, summary);
          throw new OperatorAbortError(renderInterrupted(summary, signalName(interrupt.signal), resume));
        }
        if (options.json) {
          if (summary.results === null && !summary.report) {
            note(ctx.io, `warning: ${summary.rows} rows are too many to list in --json; pass --report OUT for every row's outcome`);
          }
          writeJson(ctx.io, summary);
        } else {
          writeLine(ctx.io, (await import('./render/batch.js')).renderRun(ctx.io, summary));
        }
        return exitCodeOf(summary);
      }),
    );

  batch
    .command('status')
    .description('list batches with their counts, or one batch in detail')
    .argument('[batch-id]', 'one batch (b-… or the --batch-id it was run with)')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<StatusOptions>(async (ctx, options, command) => {
        const batchId = command.args[0] as string | undefined;
        const { batchDetail, listBatches } = await import('../../batch/status.js');
        const { renderStatusDetail, renderStatusList } = await import('./render/batch.js');
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        if (batchId === undefined) {
          const batches = await listBatches(db, merchantId);
          if (options.json) writeJson(ctx.io, { batches });
          else writeLine(ctx.io, renderStatusList(ctx.io, batches));
          return 0;
        }
        const detail = await batchDetail(db, merchantId, batchId);
        if (!detail) {
          if (options.json) writeJson(ctx.io, { error_code: 'BATCH_NOT_FOUND', message: `No batch ${batchId}` });
          else writeLine(ctx.io, `No batch ${batchId}: \`redeemctl batch status\` lists them`);
          return 1;
        }
        if (options.json) writeJson(ctx.io, detail);
        else writeLine(ctx.io, renderStatusDetail(ctx.io, detail));
        return 0;
      }),
    );
}
