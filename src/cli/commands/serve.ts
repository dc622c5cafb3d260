import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseLogFormat, parseWholeNumber } from '../parse.js';

// `redeemctl serve` (the member-facing HTTP API, docs/api.md) and `redeemctl watch` (live ledger
// writes): daemons, running until a signal, so they print as they go rather than one outcome.

function registerServe(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('serve')
    .description('the member-facing HTTP API: POST /redemptions, GET /redemptions/<event_id>, the live stream, /healthz (docs/api.md)')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port at /metrics (default: none)')
    .option('--log-format <format>', 'text (one line per event) or json (JSON lines)', 'text')
    .option('--brokers <list>', 'Kafka bootstrap servers, host:port[,host:port] (env: KAFKA_BROKERS)')
    .option('--topic <name>', 'topic to publish redemption events to (env: KAFKA_TOPIC; default: reward_redemptions)')
    .addHelpText(
      'after',
      '\nTokens: set JWT_SECRET (HS256, at least 32 bytes) or JWT_PUBLIC_KEY (PEM; RS256 or ES256 from the key type);\n' +
        'optional JWT_ISSUER and JWT_AUDIENCE are checked when set. Stops on SIGINT or SIGTERM.',
    );
  cli.action(command, async (ctx, options) => {
    const port = parseWholeNumber('--port', options.port, 0, 65_535);
    const metricsPort = options.metricsPort === undefined ? undefined : parseWholeNumber('--metrics-port', options.metricsPort, 0, 65_535);
    const logFormat = parseLogFormat(options.logFormat);
    const { runServe } = await import('../../api/serve.js');
    return runServe({
      io: ctx.io,
      openDatabase: () => ctx.db(),
      port,
      host: options.host,
      metricsPort,
      logFormat,
      brokers: options.brokers,
      topic: options.topic,
    });
  });
}

function registerWatch(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('watch')
    .description('live ledger writes, as the member app would see them (PostgreSQL server only)')
    .option('--user <user>', "only this member's writes: uuid, email or tel (default: the whole merchant)")
    .option('--json', 'one JSON object per line: the ledger row with its columns by name')
    .option('--limit <n>', 'exit 0 after this many rows (for scripts)');
  cli.action(command, async (ctx, options) => {
    const { runWatch } = await import('./watch.js');
    return runWatch(ctx, options);
  });
}

export function registerServeCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  registerServe(program, cli);
  registerWatch(program, cli);
}
