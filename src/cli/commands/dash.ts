import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { writeLine } from '../output.js';
import { parseSeconds, parseWholeNumber } from '../parse.js';
import { DependencyError, UsageError } from '../../shared/errors.js';
import { DEFAULT_GROUP, kafkaSettings } from '../../kafka/settings.js';

// `redeemctl dash`: the on-call console (docs/dash.md). Flags are parsed and the terminal checked
// before anything is opened; Ink and React load inside the action only, so `--help` never does.

export const NOT_A_TERMINAL =
  'redeemctl dash needs a terminal (stdin and stdout a TTY): in scripts use `redeemctl pool health --json` and ' +
  '`redeemctl metrics --since 1h --json`, or `redeemctl dash --once` for one frame';

/** Seconds, decimals allowed: 0.2 to 3600. */
export function parseInterval(raw: string): number {
  return parseSeconds('--interval', raw, 0.2, 3600);
}

function parseMetricsUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--worker-metrics must be an http(s) URL such as http://127.0.0.1:9464/metrics, got ${JSON.stringify(raw)}`);
  }
  return url.toString();
}

export function registerDashCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('dash')
    .description('the on-call console: pools by time until empty, throughput, quantities, latency, failures, lag (q quit, p pause, ↑↓ select, ? help)')
    .option('--interval <seconds>', 'refresh every this many seconds (0.2 to 3600)', '2')
    .option('--once', 'print one frame and exit 0, terminal or not (for scripts, tests and screenshots; width: COLUMNS, else 80)')
    .option('--threshold <n>', 'LOW below this many available codes', '50')
    .addOption(new Option('--brokers <host:port,…>', 'Kafka brokers, for the consumer lag panel (env: KAFKA_BROKERS; default: none, no lag panel)'))
    .option('--group <group>', `consumer group whose lag to show (default: ${DEFAULT_GROUP})`)
    .option('--worker-metrics <url>', "the worker's metrics endpoint, e.g. http://127.0.0.1:9464/metrics (default: none, no worker panel)");
  cli.action(command, async (ctx, options) => {
    const intervalMs = parseInterval(options.interval);
    const threshold = parseWholeNumber('--threshold', options.threshold, 0, 1_000_000_000);
    const workerMetricsUrl = options.workerMetrics === undefined ? undefined : parseMetricsUrl(options.workerMetrics);
    const io = ctx.io;
    if (!options.once && !(io.stdout.isTTY && io.stdin?.isTTY)) throw new UsageError(NOT_A_TERMINAL, { hint: null });

    // Kafka is optional here: no brokers, no lag panel (kafkaSettings would refuse).
    const brokers = options.brokers ?? io.env.KAFKA_BROKERS;
    const kafka = brokers?.trim()
      ? { settings: kafkaSettings({ brokers, topic: undefined }, io.env), group: options.group ?? DEFAULT_GROUP }
      : undefined;
    // On the embedded database the interactive console lends the folder to any other redeemctl
    // process that asks for it, so support staff can redeem while it is open (docs/embedded.md).
    const lends = !options.once && !ctx.options.databaseUrl;
    let lending: import('../../tui/data/lendingSource.js').LendingSource | undefined;
    if (lends) ctx.lendDatabase((asker) => lending?.releaseRequested(asker));
    await ctx.db();
    const merchantId = await ctx.merchantId();
    const { openDashSource } = await import('../../tui/data/openSource.js');
    const openSource = async () =>
      openDashSource({
        db: (await ctx.db()).db,
        merchantId,
        threshold,
        ...(kafka && { kafka }),
        ...(workerMetricsUrl !== undefined && { workerMetricsUrl }),
        sideTimeoutMs: Math.min(3_000, Math.max(1_000, intervalMs)),
      });
    const { lendingSource } = await import('../../tui/data/lendingSource.js');
    const source = lends ? (lending = lendingSource({ open: openSource, closeDatabase: () => ctx.closeDatabase() })) : await openSource();
    try {
      const { renderFrame, runInteractive } = await import('../../tui/run.js');
      if (options.once) {
        const columns = io.stdout.columns || Number(io.env.COLUMNS) || 80;
        const { RefreshError } = await import('../../tui/data/refreshError.js');
        const frame = await renderFrame(source, { io, columns, intervalMs, contextName: ctx.contextName }).catch((error: unknown) => {
          // Unreachable: exit 3 with the fix; anything else is unexpected (exit 4, its stack with DEBUG).
          if (!(error instanceof RefreshError)) throw error;
          if (error.unreachable) throw new DependencyError(`${error.message}. Check DATABASE_URL (or --database-url) and that PostgreSQL is running.`, { cause: error });
          throw error.cause ?? error;
        });
        writeLine(io, frame);
        return 0;
      }
      await runInteractive(source, { io, intervalMs, contextName: ctx.contextName });
      return 0;
    } finally {
      await source.close();
    }
  });
}
