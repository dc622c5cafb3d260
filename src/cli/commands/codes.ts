import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import type { CommandContext } from '../context.js';
import { writeJson, writeLine } from '../output.js';
import { exactlyOne, parseWholeNumber, requireText } from '../parse.js';
import { UsageError } from '../../shared/errors.js';

interface ImportOptions {
  reward: string;
  lot?: string;
  dryRun?: boolean;
  skipInvalid?: boolean;
  report?: string;
  actor?: string;
  json?: boolean;
}

interface ListOptions {
  reward?: string;
  json?: boolean;
}

interface ExportOptions {
  reward?: string;
  status?: string;
  lot?: string;
  output?: string;
  json?: boolean;
}

interface VoidOptions {
  file?: string;
  lot?: string;
  batch?: string;
  reward: string;
  reason?: string;
  dryRun?: boolean;
  yes?: boolean;
  actor?: string;
  json?: boolean;
}

const REWARD_HELP = 'reward: uuid or reward_code';
const ACTOR_HELP = 'who is acting (env: REDEEMCTL_ACTOR; default: the OS user)';

/** --lot is a label like a lot column value: the same rules. */
async function checkLot(lot: string | undefined): Promise<string | null> {
  if (lot === undefined) return null;
  const { checkLabel, MAX_LOT_CHARS } = await import('../../codes/rules.js');
  const problem = lot.trim() === '' ? 'lot is empty' : checkLabel('lot', lot, MAX_LOT_CHARS);
  if (problem) throw new UsageError(`--lot: ${problem}`);
  return lot;
}

async function poolReward(ctx: CommandContext, key: string) {
  const { resolvePoolReward } = await import('../../codes/poolReward.js');
  const database = await ctx.db();
  const merchantId = await ctx.merchantId();
  return { database, merchantId, reward: await resolvePoolReward(database.db, merchantId, key) };
}

export function registerCodesCommands(program: Command, cli: ProgramBuilder): void {
  const codes = program.command('codes').description('promo-code pools: import from CSV, stats, export, void, import batches');

  codes
    .command('import')
    .description('import a code-pool CSV (header: code, and optionally lot, expires_at, partner) into a pool reward')
    .argument('<file>', 'the CSV: UTF-8 (with or without BOM), LF or CRLF')
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--lot <lot>', 'lot of the rows that name none, and the label of the import batch')
    .option('--dry-run', 'check and report; write nothing')
    .option('--skip-invalid', 'import the valid rows even if some are invalid (exit 1); default: one invalid row imports nothing (exit 2)')
    .option('--report <out>', 'write every problem (line, code, problem) to this CSV')
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ImportOptions>(async (ctx, options, command) => {
        const file = command.args[0]!;
        const lot = await checkLot(options.lot);
        const actor = ctx.actor(options.actor);
        const { database, merchantId, reward } = await poolReward(ctx, options.reward);
        const { ImportInterruptedError, importCodes } = await import('../../codes/importPool.js');
        const { importExitCode } = await import('../../codes/importResult.js');
        const { Progress } = await import('../../codes/progress.js');
        const { watchInterrupt } = await import('../../shared/signals.js');
        const { commandLine } = await import('../commandLine.js');
        const progress = new Progress(ctx.io);
        const again = commandLine(command);
        // Ctrl-C or SIGTERM: the import stops at its next step and rolls back (below). A second one
        // stops at once: the transaction rolls back on the server when the connection drops.
        const interrupt = watchInterrupt({
          onSecond: (signal) => {
            progress.done();
            ctx.io.stderr.write(`\n${signal} again: stopping now; the import's transaction rolls back, so nothing is imported. Run it again with:\n  ${again}\n`);
          },
        });
        let result;
        try {
          result = await importCodes(database, {
            file,
            merchantId,
            reward,
            lot,
            dryRun: options.dryRun ?? false,
            skipInvalid: options.skipInvalid ?? false,
            ...(options.report !== undefined && { reportPath: options.report }),
            actor,
            progress,
            signal: interrupt.signal,
          });
        } catch (error) {
          if (!(error instanceof ImportInterruptedError)) throw error;
          const { OperatorAbortError } = await import('../../shared/errors.js');
          const read = error.rowsRead > 0 ? ` It had read ${error.rowsRead.toLocaleString('en-US')} rows.` : '';
          throw new OperatorAbortError(
            `${error.message}.${read}\n` +
              'Run the same command again to import the file; it starts from the beginning, and a re-run never imports a code twice ' +
              '(codes already in the pool are counted as duplicates and skipped):\n' +
              `  ${again}`,
          );
        } finally {
          interrupt.dispose();
        }
        if (options.json) writeJson(ctx.io, result);
        else writeLine(ctx.io, (await import('./render/codesImport.js')).renderImport(ctx.io, result));
        return importExitCode(result);
      }),
    );

  codes
    .command('stats')
    .description('codes per pool reward and lot: available, expired (available past expires_at), redeemed, voided, total')
    .option('--reward <reward>', `${REWARD_HELP} (default: every pool reward)`)
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ListOptions>(async (ctx, options) => {
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { resolveAnyReward } = await import('../../codes/poolReward.js');
        const { codeStats } = await import('../../codes/stats.js');
        const { renderStats } = await import('./render/codes.js');
        const rewards = await codeStats(db, merchantId, await resolveAnyReward(db, merchantId, options.reward));
        if (options.json) writeJson(ctx.io, { rewards });
        else writeLine(ctx.io, renderStats(ctx.io, rewards));
      }),
    );

  codes
    .command('export')
    .description('the codes as CSV: code, reward_code, lot, status, expires_at, partner, redeemed_at, redemption_code')
    .option('--reward <reward>', `${REWARD_HELP} (default: every reward)`)
    .option('--status <status>', 'available, expired, redeemed or voided (default: all)')
    .option('--lot <lot>', 'only this lot')
    .option('--output <file>', 'write the CSV here (default: stdout)')
    .option('--json', 'with --output: a JSON summary on stdout')
    .action(
      cli.action<ExportOptions>(async (ctx, options) => {
        const { parseStatus, exportCodes } = await import('../../codes/exportCodes.js');
        const status = parseStatus(options.status);
        if (options.json && options.output === undefined) throw new UsageError('--json needs --output FILE: without it the CSV itself goes to stdout');
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { resolveAnyReward } = await import('../../codes/poolReward.js');
        const rewardId = await resolveAnyReward(db, merchantId, options.reward);
        const { fileSink, streamSink } = await import('../../codes/csvOut.js');
        const { Progress, thousands } = await import('../../codes/progress.js');
        const sink = options.output === undefined ? streamSink(ctx.io.stdout) : await fileSink(options.output, '--output');
        const progress = new Progress(ctx.io);
        let rows: number;
        try {
          rows = await exportCodes(db, { merchantId, rewardId, status, lot: options.lot ?? null }, sink, (n) => progress.tick(`exported ${thousands(n)} codes`));
        } finally {
          progress.done();
          await sink.close();
        }
        if (options.output === undefined) return;
        if (options.json) writeJson(ctx.io, { exported: rows, output: options.output });
        else writeLine(ctx.io, `Exported ${thousands(rows)} code(s) to ${options.output}`);
      }),
    );

  codes
    .command('void')
    .description('void the available codes of a pool reward, by file, lot or import batch; codes held by live redemptions are skipped')
    .option('--file <csv>', 'the codes listed in this CSV (a code column; other columns are ignored)')
    .option('--lot <lot>', 'every code of this lot')
    .option('--batch <id>', 'every code of this import batch (see codes batches)')
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--dry-run', 'count what would be voided; change nothing')
    .option('--yes', 'go ahead without asking (required when stdin is not a terminal)')
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<VoidOptions>(async (ctx, options) => {
        const [by, value] = exactlyOne<'file' | 'lot' | 'batch'>(options, { file: '--file', lot: '--lot', batch: '--batch' });
        const reason = requireText('--reason', options.reason, 'to void codes');
        const actor = ctx.actor(options.actor);
        const dryRun = options.dryRun ?? false;
        const { confirm } = await import('../confirm.js');
        const { describeSelection, voidExitCode } = await import('../../codes/voidResult.js');
        const { renderVoid } = await import('./render/codes.js');
        const ask = !dryRun && !options.yes;
        // Without a terminal nothing waits for an answer: stop before any work.
        if (ask && !ctx.io.stdin?.isTTY) await confirm(ctx.io, `Void the ${describeSelection({ reward_code: options.reward, by, value })}?`, '--yes');
        const { database, merchantId, reward } = await poolReward(ctx, options.reward);
        const { voidCodes } = await import('../../codes/voidCodes.js');
        const result = await voidCodes(database, {
          merchantId,
          reward,
          by,
          value,
          reason,
          actor,
          dryRun,
          confirm: async (plan) => {
            if (!ask) return;
            const held = plan.held > 0 ? ` (${plan.held} held by live redemptions stay as they are)` : '';
            await confirm(ctx.io, `Void the ${plan.available} available ${describeSelection({ reward_code: reward.rewardCode, by, value })}${held}?`, '--yes');
          },
        });
        if (options.json) writeJson(ctx.io, result);
        else writeLine(ctx.io, renderVoid(ctx.io, result));
        return voidExitCode(result);
      }),
    );

  codes
    .command('batches')
    .description('the import batches: id, file, sha256 prefix, lot, counts, created, voided')
    .option('--reward <reward>', `${REWARD_HELP} (default: every reward)`)
    .option('--limit <n>', 'newest first, at most this many', '50')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<ListOptions & { limit?: string }>(async (ctx, options) => {
        const limit = parseWholeNumber('--limit', options.limit ?? '50', 1, 10_000);
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { resolveAnyReward } = await import('../../codes/poolReward.js');
        const { listBatches } = await import('../../codes/batches.js');
        const { renderBatches } = await import('./render/codes.js');
        const batches = await listBatches(db, merchantId, await resolveAnyReward(db, merchantId, options.reward), limit);
        if (options.json) writeJson(ctx.io, { batches });
        else writeLine(ctx.io, renderBatches(ctx.io, batches));
      }),
    );
}
