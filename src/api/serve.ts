import { collectDefaultMetrics, Registry } from 'prom-client';
import type { CommandContext } from '../cli/context.js';
import { parseWholeNumber } from '../cli/parse.js';
import { DependencyError, UsageError } from '../shared/errors.js';
import { EventPublisher } from '../kafka/publisher.js';
import { kafkaSettings } from '../kafka/settings.js';
import { createLogger, type LogFormat } from '../shared/logger.js';
import { startMetricsServer } from '../shared/metricsServer.js';
import { untilSignal } from './realtime/untilSignal.js';
import { ApiMetrics } from './apiMetrics.js';
import { verifierFromEnv } from './auth.js';
import { startApiServer } from './server.js';

export interface ServeOptions {
  port?: string;
  host?: string;
  metricsPort?: string;
  logFormat?: string;
  brokers?: string;
  topic?: string;
}

/**
 * `redeemctl serve`: checks its settings before touching anything (a missing token key is exit 2,
 * Kafka not configured exit 3), then opens the database and one long-lived producer, serves
 * until SIGINT/SIGTERM, and closes everything in order.
 */
export async function runServe(ctx: CommandContext, options: ServeOptions): Promise<number> {
  const port = parseWholeNumber('--port', options.port ?? '8080', 0, 65_535);
  const metricsPort = options.metricsPort === undefined ? undefined : parseWholeNumber('--metrics-port', options.metricsPort, 0, 65_535);
  const host = options.host ?? '127.0.0.1';
  const format = parseLogFormat(options.logFormat);
  const verifier = await verifierFromEnv(ctx.io.env);
  const settings = kafkaSettings(options, ctx.io.env);
  const database = await ctx.db();
  const logger = createLogger(format, ctx.io.stdout);

  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.connect(settings, 'redeemctl-api');
  } catch (error) {
    throw new DependencyError(`Cannot reach Kafka at ${settings.brokers.join(',')}: ${(error as Error).message}. Check KAFKA_BROKERS (or --brokers).`, { cause: error });
  }
  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = new ApiMetrics(registry);
    const server = await listening(
      () => startApiServer({ port, host, database, publisher, verifier, logger, metrics, feed: { idleMs: 30_000 } }),
      '--port',
    );
    let metricsServer: { port: number; close(): Promise<void> } | undefined;
    try {
      if (metricsPort !== undefined) metricsServer = await listening(() => startMetricsServer(registry, metricsPort, host), '--metrics-port');
      logger.info(
        `[API] Listening on http://${host}:${server.port} (${verifier.algorithm} tokens, topic ${settings.topic})` +
          (metricsServer ? `; metrics on http://${host}:${metricsServer.port}/metrics` : ''),
        { port: server.port, metrics_port: metricsServer?.port, topic: settings.topic, algorithm: verifier.algorithm },
      );
      await untilSignal();
      logger.info('[API] Shutting down');
    } finally {
      await server.close();
      await metricsServer?.close();
    }
  } finally {
    await publisher.disconnect().catch(() => {});
  }
  return 0;
}

function parseLogFormat(raw: string | undefined): LogFormat {
  const format = raw ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json, got ${JSON.stringify(raw)}`);
  return format;
}

/** A port already in use is a usage problem: say which flag to change. */
async function listening<T>(start: () => Promise<T>, flag: string): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new UsageError(`Cannot listen: ${(error as Error).message}; choose another ${flag}`);
    throw error;
  }
}
