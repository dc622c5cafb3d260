import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseLogFormat, parseShutdownTimeout, parseWholeNumber } from '../parse.js';
import { parseDuration } from '../../shared/durations.js';
import { exitSoon } from '../../shared/signals.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_MEMBER } from '../../api/streamLimits.js';
import { envWithKafkaFlags, withKafkaSecurityOptions } from '../kafkaOptions.js';

// `redeemctl serve` (the member-facing HTTP API, docs/api.md) and `redeemctl watch` (live ledger
// writes): daemons, running until a signal, so they print as they go rather than one outcome.

function registerServe(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaSecurityOptions(program
    .command('serve')
    .description('the member-facing HTTP API: POST /redemptions, GET /redemptions/<event_id>, the live stream, /healthz (docs/api.md)')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port at /metrics (default: none)')
    .option('--log-format <format>', 'text (one line per event) or json (JSON lines)', 'text')
    .option('--brokers <list>', 'Kafka bootstrap servers, host:port[,host:port] (env: KAFKA_BROKERS)')
    .option('--topic <name>', 'topic to publish redemption events to (env: KAFKA_TOPIC; default: reward_redemptions)')
    .option('--allow-unscoped-tokens', 'start without JWT_ISSUER and JWT_AUDIENCE: accept tokens of any issuer and audience (not for production)')
    .option('--shutdown-timeout <duration>', 'longest a stop on SIGINT/SIGTERM may take, with or without Kafka and the database; then exit 3', '30s')
    .option('--max-streams <n>', 'open live streams in total; over it: 429', String(DEFAULT_MAX_STREAMS))
    .option('--max-streams-per-member <n>', 'open live streams per member; over it: 429', String(DEFAULT_MAX_STREAMS_PER_MEMBER))
    .option('--stream-max-lifetime <duration>', 'a live stream ends after this long even while its token is valid', '1h')
    .option('--max-connections <n>', 'open connections; beyond it new ones are closed at once', String(DEFAULT_MAX_CONNECTIONS))
    .addHelpText(
      'after',
      '\nTokens: set JWT_SECRET (HS256, at least 32 bytes) or JWT_PUBLIC_KEY (PEM; RS256 or ES256 from the key type),\n' +
        'and JWT_ISSUER and JWT_AUDIENCE (required: iss and aud must match; --allow-unscoped-tokens to go without).\n' +
        'JWT_MAX_AGE (default 1h): refuse tokens issued longer ago, or expiring further ahead, than this; iat is required.\n' +
        'Stops on SIGINT or SIGTERM: stops accepting, ends streams, lets POSTs waiting for Kafka finish (503 for what cannot),\n' +
        'all within --shutdown-timeout.',
    ));
  cli.action(command, async (ctx, options) => {
    const port = parseWholeNumber('--port', options.port, 0, 65_535);
    const metricsPort = options.metricsPort === undefined ? undefined : parseWholeNumber('--metrics-port', options.metricsPort, 0, 65_535);
    const logFormat = parseLogFormat(options.logFormat);
    const limits = {
      shutdownTimeoutMs: parseShutdownTimeout(options.shutdownTimeout),
      maxStreams: parseWholeNumber('--max-streams', options.maxStreams, 1, 1_000_000),
      maxStreamsPerMember: parseWholeNumber('--max-streams-per-member', options.maxStreamsPerMember, 1, 1_000_000),
      streamMaxMs: parseDuration('--stream-max-lifetime', options.streamMaxLifetime),
      maxConnections: parseWholeNumber('--max-connections', options.maxConnections, 1, 1_000_000),
    };
    const { runServe } = await import('../../api/serve.js');
    return runServe({
      // the Kafka security flags, laid over the environment src/api/serve.ts resolves them from
      io: { ...ctx.io, env: envWithKafkaFlags(options, ctx.io.env) },
      openDatabase: () => ctx.db(),
      closeDatabase: () => ctx.closeDatabase(),
      exitSoon: (code) => exitSoon(code, 1_000),
      allowUnscopedTokens: options.allowUnscopedTokens === true,
      ...limits,
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
