import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { note, writeJson, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';

// `pool health` and `metrics`: parse, call the shared queries in src/monitoring/, print.

interface PoolHealthOptions {
  threshold?: string;
  failOnAlert?: boolean;
  json?: boolean;
}

interface MetricsOptions {
  since?: string;
  json?: boolean;
}

export function registerMonitoringCommands(program: Command, cli: ProgramBuilder): void {
  const pool = program.command('pool').description('code pools: health, depletion and alerts');
  pool
    .command('health')
    .description('per pool reward: counts, depletion per hour, time until empty, OK / LOW / EMPTY, INSUFFICIENT_CODES refusals')
    .option('--threshold <n>', 'LOW below this many available codes', '50')
    .option('--fail-on-alert', 'exit 1 when any pool is LOW or EMPTY (for cron and monitoring)')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<PoolHealthOptions>(async (ctx, options) => {
        const threshold = parseWholeNumber('--threshold', options.threshold ?? '50', 0, 1_000_000_000);
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { poolHealth } = await import('../../monitoring/poolHealth.js');
        const { alertLines, renderPoolHealth } = await import('./render/poolHealth.js');
        const report = await poolHealth(db, { merchantId, threshold });
        if (options.json) {
          writeJson(ctx.io, report);
          if (options.failOnAlert) for (const line of alertLines(report)) note(ctx.io, line);
        } else {
          writeLine(ctx.io, renderPoolHealth(ctx.io, report));
        }
        return options.failOnAlert && report.alerts.length > 0 ? 1 : 0;
      }),
    );

  program
    .command('metrics')
    .description('requests, failures by code, quantities, patterns A/B, latency percentiles, redeliveries, points burned')
    .option('--since <when>', 'window start: a duration ago (30m, 24h, 7d) or an ISO-8601 time', '24h')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<MetricsOptions>(async (ctx, options) => {
        const { parseSince } = await import('../../monitoring/duration.js');
        // One clock for both ends of the window, so `24h` spans exactly 24 hours.
        const now = new Date();
        const since = parseSince('--since', options.since ?? '24h', now);
        const { db } = await ctx.db();
        const merchantId = await ctx.merchantId();
        const { redemptionMetrics } = await import('../../monitoring/redemptionMetrics.js');
        const report = await redemptionMetrics(db, { merchantId, since, now });
        if (options.json) writeJson(ctx.io, report);
        else writeLine(ctx.io, (await import('./render/metrics.js')).renderMetrics(ctx.io, report));
        return 0;
      }),
    );
}
