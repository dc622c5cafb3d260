import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `pool health` and `metrics`: flags, then the shared queries in src/monitoring/.

function registerPoolHealth(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const pool = program.command('pool').description('code pools: health, depletion and alerts');
  const command = pool
    .command('health')
    .description('per pool reward: counts, depletion per hour, time until empty, OK / LOW / EMPTY, INSUFFICIENT_CODES refusals')
    .option('--threshold <n>', 'LOW below this many available codes', '50')
    .option('--fail-on-alert', 'exit 1 when any pool is LOW or EMPTY (for cron and monitoring)')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const threshold = parseWholeNumber('--threshold', options.threshold, 0, 1_000_000_000);
    const failOnAlert = options.failOnAlert ?? false;
    const { checkPools } = await import('../../monitoring/poolCheck.js');
    const { alertLines, poolHealthListing, renderPoolHealth } = await import('./render/poolHealth.js');
    const { db, merchantId } = await ctx.scope();
    // With --json or csv the alerts also go to stderr, where cron mails them; the table shows them anyway.
    return emit(ctx, await checkPools(db, { merchantId, threshold, failOnAlert }), renderPoolHealth, {
      notesWithJson: (report) => (failOnAlert ? alertLines(report) : []),
      listing: poolHealthListing,
    });
  });
}

function registerMetrics(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('metrics')
    .description('requests, failures by code, quantities, patterns A/B, latency percentiles, redeliveries, points burned')
    .option('--since <when>', 'window start: a duration ago (30m, 24h, 7d) or an ISO-8601 time', '24h')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    const { parseSince } = await import('../../shared/durations.js');
    // One clock for both ends of the window, so `24h` spans exactly 24 hours.
    const now = new Date();
    const since = parseSince('--since', options.since, now);
    const { redemptionMetrics } = await import('../../monitoring/redemptionMetrics.js');
    const { done } = await import('../../shared/outcome.js');
    const { renderMetrics } = await import('./render/metrics.js');
    const { db, merchantId } = await ctx.scope();
    return emit(ctx, done(await redemptionMetrics(db, { merchantId, since, now })), renderMetrics);
  });
}

export function registerMonitoringCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  registerPoolHealth(program, cli);
  registerMetrics(program, cli);
}
