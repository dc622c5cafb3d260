import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { CliIO } from '../shared/io.js';
import { explainKafkaError, UsageError } from '../shared/errors.js';
import { EventPublisher } from '../kafka/publisher.js';
import { kafkaSettings } from '../kafka/settings.js';
import { createLogger, type LogFormat } from '../shared/logger.js';
import { startMetricsServer } from '../shared/metricsServer.js';
import { untilSignal } from '../shared/signals.js';
import { ApiMetrics } from './apiMetrics.js';
import { verifierFromEnv } from './auth.js';
import { startApiServer } from './server.js';

export interface ServeSetup {
  io: CliIO;
  /** Opened once the settings are known to be good. */
  openDatabase: () => Promise<Database>;
  port: number;
  host: string;
  metricsPort: number | undefined;
  logFormat: LogFormat;
  brokers: string | undefined;
  topic: string | undefined;
}

/**
 * `redeemctl serve`: checks its settings before touching anything (a missing token key is exit 2,
 * Kafka not configured exit 3), then opens the database and one long-lived producer, serves
 * until SIGINT/SIGTERM, and closes everything in order.
 */
export async function runServe(setup: ServeSetup): Promise<number> {
  const { io, port, host, metricsPort } = setup;
  const verifier = await verifierFromEnv(io.env);
  const settings = kafkaSettings({ brokers: setup.brokers, topic: setup.topic }, io.env);
  const database = await setup.openDatabase();
  const logger = createLogger(setup.logFormat, io.stdout);

  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.connect(settings, 'redeemctl-api');
  } catch (error) {
    throw explainKafkaError(error, settings.brokers, { connecting: true });
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
