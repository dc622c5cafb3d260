import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import type { CommandContext } from '../context.js';
import { exactlyOne, parseWholeNumber, requireText } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `codes import | stats | export | void | imports`: flags, then one function of src/codes/
// (importUntilStopped, reports, exportTo, voidPool). docs/codes.md.

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

function registerImport(codes: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = codes
    .command('import')
    .description('import a code-pool CSV (header: code, and optionally lot, expires_at, partner) into a pool reward')
    .argument('<file>', 'the CSV: UTF-8 (with or without BOM), LF or CRLF')
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--lot <lot>', 'lot of the rows that name none, and the label of the import')
    .option('--dry-run', 'check and report; write nothing')
    .option('--skip-invalid', 'import the valid rows even if some are invalid (exit 1); default: one invalid row imports nothing (exit 2)')
    .option('--report <out>', 'write every problem (line, code, problem) to this CSV')
    .option('--reason <text>', 'why (required unless --dry-run; recorded in the audit log)')
    .option('--yes', 'go ahead without asking (required when stdin is not a terminal)')
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options, [file], self) => {
    const lot = await checkLot(options.lot);
    const dryRun = options.dryRun ?? false;
    const reason = dryRun ? null : requireText('--reason', options.reason, 'to import codes (it is recorded in the audit log); nothing was imported');
    const actor = ctx.actor(options.actor);
    const { importUntilStopped } = await import('../../codes/importUntilStopped.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderImport } = await import('./render/codesImport.js');
    const { describeTarget } = await import('../target.js');
    const confirmImport = await importConfirmation(ctx, { file, reward: options.reward, ask: !dryRun && !options.yes, target: describeTarget(ctx) });
    const { database, merchantId } = await ctx.scope();
    const outcome = await importUntilStopped(database, ctx.io, {
      file,
      merchantId,
      rewardKey: options.reward,
      lot,
      dryRun,
      skipInvalid: options.skipInvalid ?? false,
      ...(options.report !== undefined && { reportPath: options.report }),
      actor,
      reason,
      confirm: confirmImport,
      commandLine: commandLine(self),
    });
    return emit(ctx, outcome, renderImport);
  });
}

/**
 * The question `codes import` asks before it writes: on a terminal, once the file is read and
 * checked (with the count); without one, nothing waits: refused before any work unless --yes.
 */
async function importConfirmation(
  ctx: CommandContext,
  facts: { file: string; reward: string; ask: boolean; target: string },
): Promise<((plan: { importable: number; reward: { rewardCode: string } }) => Promise<void>) | undefined> {
  if (!facts.ask) return undefined;
  const { confirm } = await import('../confirm.js');
  const { formatCount } = await import('../../shared/format.js');
  if (!ctx.io.stdin?.isTTY) await confirm(ctx.io, `Import the codes of ${facts.file} into the pool of reward ${facts.reward} (${facts.target})?`, '--yes');
  return (plan) => confirm(ctx.io, `Import ${formatCount(plan.importable)} codes into the pool of reward ${plan.reward.rewardCode} (${facts.target})?`, '--yes');
}

function registerStats(codes: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = codes
    .command('stats')
    .description('codes per pool reward and lot: available, expired (available past expires_at), redeemed, voided, total')
    .option('--reward <reward>', `${REWARD_HELP} (default: every pool reward)`)
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const { poolStats } = await import('../../codes/reports.js');
    const { renderStats, statsListing } = await import('./render/codes.js');
    const { db, merchantId } = await ctx.scope();
    return emit(ctx, await poolStats(db, merchantId, options.reward), renderStats, { listing: statsListing });
  });
}

function registerExport(codes: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = codes
    .command('export')
    .description('the codes as CSV: code, reward_code, lot, status, expires_at, partner, redeemed_at, redemption_code')
    .option('--reward <reward>', `${REWARD_HELP} (default: every reward)`)
    .option('--status <status>', 'available, expired, redeemed or voided (default: all)')
    .option('--lot <lot>', 'only this lot')
    .option('--output <file>', 'write the CSV here (default: stdout)')
    .option('--json', 'with --output: a JSON summary on stdout');
  cli.action(command, async (ctx, options, _args, self) => {
    const { parseStatus } = await import('../../codes/exportCodes.js');
    const status = parseStatus(options.status);
    if (options.json && options.output === undefined) throw new UsageError('--json needs --output FILE: without it the CSV itself goes to stdout');
    const { exportCodesTo } = await import('../../codes/exportTo.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderExported } = await import('./render/codes.js');
    const { db, merchantId } = await ctx.scope();
    const request = { merchantId, rewardKey: options.reward, status, lot: options.lot ?? null, output: options.output, commandLine: commandLine(self) };
    const outcome = await exportCodesTo(db, ctx.io, request);
    // Without --output the CSV itself was the output: nothing more goes to stdout.
    return options.output === undefined ? outcome.exitCode : emit(ctx, outcome, renderExported);
  });
}

function registerVoid(codes: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = codes
    .command('void')
    .description('void the available codes of a pool reward, by file, lot or import; codes held by live redemptions are skipped')
    .option('--file <csv>', 'the codes listed in this CSV (a code column; other columns are ignored)')
    .option('--lot <lot>', 'every code of this lot')
    .option('--import <id>', 'every code of this import (see codes imports)')
    // The flag's name before imports were called imports: scripts keep working.
    .addOption(new Option('--batch <id>').hideHelp())
    .requiredOption('--reward <reward>', REWARD_HELP)
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--dry-run', 'count what would be voided; change nothing')
    .option('--yes', 'go ahead without asking (required when stdin is not a terminal)')
    .option('--actor <name>', ACTOR_HELP)
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    if (options.import !== undefined && options.batch !== undefined) throw new UsageError('--batch is the old name of --import: give one of them');
    const selectors = { file: options.file, lot: options.lot, import: options.import ?? options.batch };
    const [by, value] = exactlyOne(selectors, { file: '--file', lot: '--lot', import: '--import' });
    const reason = requireText('--reason', options.reason, 'to void codes');
    const actor = ctx.actor(options.actor);
    const dryRun = options.dryRun ?? false;
    const { confirm } = await import('../confirm.js');
    const { describeSelection } = await import('../../codes/voidResult.js');
    const { voidPool } = await import('../../codes/voidPool.js');
    const { renderVoid } = await import('./render/codes.js');
    // The import is what the code pool's table and the audit log call a batch (docs/codes.md, "Imports").
    const voidBy = by === 'import' ? 'batch' : by;
    const ask = dryRun || options.yes ? undefined : (question: string) => confirm(ctx.io, question, '--yes');
    // Without a terminal nothing waits for an answer: stop before any work.
    if (ask && !ctx.io.stdin?.isTTY) await ask(`Void the ${describeSelection({ reward_code: options.reward, by: voidBy, value })}?`);
    const { database, merchantId } = await ctx.scope();
    const outcome = await voidPool(database, { merchantId, rewardKey: options.reward, by: voidBy, value, reason, actor, dryRun, ask });
    return emit(ctx, outcome, renderVoid);
  });
}

/** `codes imports`, and under its old name `codes batches`, hidden from the help. */
function registerImports(codes: CommandUnknownOpts, cli: ProgramBuilder, name: 'imports' | 'batches'): void {
  const command = codes
    .command(name, { hidden: name === 'batches' })
    .description('the imports: id, file, sha256 prefix, lot, counts, created, voided')
    .option('--reward <reward>', `${REWARD_HELP} (default: every reward)`)
    .option('--limit <n>', 'newest first, at most this many', '50')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 10_000);
    const { poolImports } = await import('../../codes/reports.js');
    const { importsListing, renderImports } = await import('./render/codes.js');
    const { db, merchantId } = await ctx.scope();
    return emit(ctx, await poolImports(db, merchantId, options.reward, limit), renderImports, { listing: importsListing });
  });
}

export function registerCodesCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const codes = program.command('codes').description('promo-code pools: import from CSV, stats, export, void, imports');
  registerImport(codes, cli);
  registerStats(codes, cli);
  registerExport(codes, cli);
  registerVoid(codes, cli);
  registerImports(codes, cli, 'imports');
  registerImports(codes, cli, 'batches');
}
