import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { CliIO } from '../shared/io.js';
import { explainKafkaError, UsageError } from '../shared/errors.js';
import { EventPublisher } from '../kafka/publisher.js';
import { kafkaSettings } from '../kafka/settings.js';
import { createLogger, type LogFormat, type Logger } from '../shared/logger.js';
import { startMetricsServer } from '../shared/metricsServer.js';
import { untilSignal } from '../shared/signals.js';
import { ApiMetrics } from './apiMetrics.js';
import { verifierFromEnv, type TokenVerifier } from './auth.js';
import { startApiServer, type ApiServer } from './server.js';

export interface ServeSetup {
  io: CliIO;
  /** Opened once the settings are known to be good. */
  openDatabase: () => Promise<Database>;
  /** Closed within the shutdown timeout (a database that does not answer must not hold the stop). */
  closeDatabase?: () => Promise<void>;
  /** Called when the stop ran out of time: ends the process even if a dead socket holds it open. */
  exitSoon?: (code: number) => void;
  port: number;
  host: string;
  metricsPort: number | undefined;
  logFormat: LogFormat;
  brokers: string | undefined;
  topic: string | undefined;
  /** serve --allow-unscoped-tokens: start without JWT_ISSUER and JWT_AUDIENCE. */
  allowUnscopedTokens?: boolean;
  /** The whole stop (drain, streams, listener registration, producer, database); default 30 s. */
  shutdownTimeoutMs?: number;
  maxStreams?: number;
  maxStreamsPerMember?: number;
  streamMaxMs?: number;
  maxConnections?: number;
}

/** Exit code of a stop that ran out of time: a dependency (Kafka, the database) did not answer. */
const EXIT_STOP_TIMED_OUT = 3;

/**
 * `redeemctl serve`: checks its settings before touching anything (a missing token key or token
 * scope is exit 2, Kafka not configured exit 3), then opens the database and one long-lived
 * producer, serves until SIGINT/SIGTERM, and stops in order within --shutdown-timeout.
 */
export async function runServe(setup: ServeSetup): Promise<number> {
  const { io } = setup;
  const verifier = await verifierFromEnv(io.env, { allowUnscopedTokens: setup.allowUnscopedTokens ?? false });
  const settings = kafkaSettings({ brokers: setup.brokers, topic: setup.topic }, io.env);
  const database = await setup.openDatabase();
  const logger = createLogger(setup.logFormat, io.stdout);

  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.connect(settings, 'redeemctl-api');
  } catch (error) {
    throw explainKafkaError(error, settings.brokers, { connecting: true });
  }
  const shutdownTimeoutMs = setup.shutdownTimeoutMs ?? 30_000;
  let started: Started | undefined;
  let failure: { error: unknown } | undefined;
  try {
    started = await startServing(setup, { database, publisher, verifier, logger, topic: settings.topic });
    await untilSignal();
    logger.info('[API] Shutting down');
  } catch (error) {
    failure = { error };
  }
  if (!(await within(stopServing(started, publisher, setup, shutdownTimeoutMs), shutdownTimeoutMs))) {
    logger.error(`[API] The stop did not finish within ${shutdownTimeoutMs / 1000} s (Kafka or the database is not answering); exiting without it`);
    setup.exitSoon?.(EXIT_STOP_TIMED_OUT);
    return EXIT_STOP_TIMED_OUT;
  }
  if (failure) throw failure.error;
  return 0;
}

interface Started {
  server: ApiServer;
  metricsServer: { port: number; close(): Promise<void> } | undefined;
}

async function startServing(
  setup: ServeSetup,
  deps: { database: Database; publisher: EventPublisher; verifier: TokenVerifier; logger: Logger; topic: string },
): Promise<Started> {
  const { port, host, metricsPort } = setup;
  const { database, publisher, verifier, logger } = deps;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new ApiMetrics(registry);
  const server = await listening(
    () =>
      startApiServer({
        port,
        host,
        database,
        publisher,
        verifier,
        logger,
        metrics,
        feed: { idleMs: 30_000 },
        maxStreams: setup.maxStreams,
        maxStreamsPerMember: setup.maxStreamsPerMember,
        streamMaxMs: setup.streamMaxMs,
        maxConnections: setup.maxConnections,
      }),
    '--port',
  );
  let metricsServer: Started['metricsServer'];
  try {
    if (metricsPort !== undefined) metricsServer = await listening(() => startMetricsServer(registry, metricsPort, host), '--metrics-port');
  } catch (error) {
    await server.close({ drainMs: 0 });
    throw error;
  }
  logger.info(
    `[API] Listening on http://${host}:${server.port} (${verifier.algorithm} tokens, topic ${deps.topic})` +
      (metricsServer ? `; metrics on http://${host}:${metricsServer.port}/metrics` : ''),
    { port: server.port, metrics_port: metricsServer?.port, topic: deps.topic, algorithm: verifier.algorithm },
  );
  return { server, metricsServer };
}

/**
 * The stop, in order: the API drains (POSTs waiting for Kafka get their answer, 503 at the latest
 * when half the shutdown timeout is gone), metrics, the producer, the database.
 */
async function stopServing(started: Started | undefined, publisher: EventPublisher, setup: ServeSetup, timeoutMs: number): Promise<void> {
  await started?.server.close({ drainMs: Math.min(6_000, Math.floor(timeoutMs / 2)) });
  await started?.metricsServer?.close();
  await publisher.disconnect().catch(() => {});
  await setup.closeDatabase?.().catch(() => {});
}

/** True when `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
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
