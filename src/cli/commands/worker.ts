import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseLogFormat, parseShutdownTimeout, parseWholeNumber } from '../parse.js';
import { DEFAULT_GROUP, DEFAULT_TOPIC, kafkaSettings } from '../../kafka/settings.js';
import { DEFAULT_REPLICATION_FACTOR, DEFAULT_TOPIC_PARTITIONS } from '../../kafka/topics.js';
import { withKafkaSecurityOptions } from '../kafkaOptions.js';
import { DEFAULT_BATCH_MAX_MS, DEFAULT_BATCH_SIZE } from '../../worker/batchDefaults.js';

/**
 * `redeemctl worker`: the Kafka consumer of redemption events (docs/domain.md, "The asynchronous
 * path"). Runs until SIGTERM or SIGINT, then stops gracefully (in-flight work finishes, offsets
 * are committed, the group is left) and exits 0. Logs go to stdout, kafkajs's own to stderr.
 */
export function registerWorkerCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaSecurityOptions(program
    .command('worker')
    .description('consume redemption events from Kafka and redeem them, until SIGTERM or SIGINT')
    .option('--group <group>', `consumer group (default: ${DEFAULT_GROUP})`)
    .option('--concurrency <n>', 'partitions processed at once (1..64)', '3')
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics (default: none)')
    .addOption(new Option('--log-format <format>', 'log lines as text or JSON').choices(['text', 'json']).default('text'))
    .option('--brokers <list>', 'Kafka bootstrap servers, host:port[,host:port] (env: KAFKA_BROKERS)')
    .option('--topic <topic>', `topic to consume (env: KAFKA_TOPIC; default: ${DEFAULT_TOPIC}); dead letters go to <topic>.dlq`)
    .option('--batch-size <n>', 'events of one partition in one database transaction (1..1000; 1: a transaction per event)', String(DEFAULT_BATCH_SIZE))
    .option('--batch-max-ms <ms>', 'a group takes no further event once its transaction has been open this long (1..10000)', String(DEFAULT_BATCH_MAX_MS))
    .option('--session-timeout <ms>', 'how soon the group hands a dead worker\'s partitions to the others (1000..300000)', '10000')
    .option('--partitions <n>', 'partitions of the topic and its .dlq when the worker creates them (1..1000)', String(DEFAULT_TOPIC_PARTITIONS))
    .option('--replication-factor <n>', 'replicas of the topic and its .dlq when the worker creates them (1..10)', String(DEFAULT_REPLICATION_FACTOR))
    .option('--no-create-topics', 'never create the topic or its .dlq: exit 3 when the topic is missing')
    .option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, give up waiting for in-flight work and the broker after this long, in seconds or as 30s, 1m (then exit 3)', '30s'));
  cli.action(command, async (ctx, flags) => {
    const concurrency = parseWholeNumber('--concurrency', flags.concurrency, 1, 64);
    const batchSize = parseWholeNumber('--batch-size', flags.batchSize, 1, 1_000);
    const batchMaxMs = parseWholeNumber('--batch-max-ms', flags.batchMaxMs, 1, 10_000);
    const sessionTimeoutMs = parseWholeNumber('--session-timeout', flags.sessionTimeout, 1_000, 300_000);
    const metricsPort = flags.metricsPort === undefined ? undefined : parseWholeNumber('--metrics-port', flags.metricsPort, 0, 65_535);
    const logFormat = parseLogFormat(flags.logFormat);
    const topicPartitions = parseWholeNumber('--partitions', flags.partitions, 1, 1_000);
    const replicationFactor = parseWholeNumber('--replication-factor', flags.replicationFactor, 1, 10);
    const shutdownTimeoutMs = parseShutdownTimeout(flags.shutdownTimeout);
    // Before the database: a missing broker setting is reported at once (exit 3).
    const kafka = kafkaSettings(flags, ctx.io.env);
    const database = await ctx.db();

    const [{ Registry, collectDefaultMetrics }, { createLogger }, { startWorker }, { waitForShutdown, exitSoon }] = await Promise.all([
      import('prom-client'),
      import('../../shared/logger.js'),
      import('../../worker/worker.js'),
      import('../../shared/signals.js'),
    ]);
    const logger = createLogger(logFormat, ctx.io.stdout);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const { startMetricsServer } = await import('../../shared/metricsServer.js');
    const metrics = metricsPort === undefined ? undefined : await startMetricsServer(registry, metricsPort);
    if (metrics) logger.info(`[RewardConsumer] Metrics on http://127.0.0.1:${metrics.port}/metrics`, { metrics_port: metrics.port });

    try {
      const worker = await startWorker({
        database,
        kafka,
        group: flags.group ?? DEFAULT_GROUP,
        concurrency,
        batchSize,
        batchMaxMs,
        sessionTimeoutMs,
        topicPartitions,
        replicationFactor,
        createTopics: flags.createTopics,
        shutdownTimeoutMs,
        logger,
        registry,
        env: ctx.io.env,
      });
      const signal = await waitForShutdown(worker.done, (second) =>
        logger.warn(`[RewardConsumer] ${second} again: exiting without waiting for in-flight work`),
      );
      if (signal) logger.info(`[RewardConsumer] ${signal} received: finishing in-flight work, committing offsets`, { signal });
      if ((await worker.stop()) === 'stopped') return 0;
      exitSoon(3, 2_000);
      return 3;
    } finally {
      await metrics?.close();
    }
  });
}
