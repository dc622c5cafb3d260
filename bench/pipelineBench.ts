import { randomBytes } from 'node:crypto';
import { BENCH_BROKER_JVM_OPTS, benchBroker } from './benchBroker.js';
import { machineCpu, processCpu } from './machineCpu.js';
import { envInt } from './envInt.js';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import type { Schema } from '../src/db/schema.js';
import type { RedeemRequest } from '../src/engine/types.js';
import { EventPublisher } from '../src/kafka/publisher.js';
import type { RedemptionEvent } from '../src/kafka/redemptionEvent.js';
import { createKafka } from '../src/kafka/client.js';
import type { KafkaSettings } from '../src/kafka/settings.js';
import { createLogger } from '../src/shared/logger.js';
import { startWorker, type Processed, type WorkerHandle } from '../src/worker/worker.js';
import { DEFAULT_BATCH_MAX_MS, DEFAULT_BATCH_SIZE } from '../src/worker/batchDefaults.js';
import { dropDatabase, recreateDatabase, urlFor } from './scratch.js';
import { ENGINE_SHAPE, planRequests, round, runWorkload, seedBenchWorld, type BenchWorld, type WorkloadShape } from './workload.js';

// The `pipeline` benchmark of docs/benchmarks.md: 20,000 events through the real broker and the
// worker (startWorker, in this process), against the `engine` workload at the same concurrency
// measured in the same run; then a paced 500 events/s for 10 s with the worker caught up, and the
// time from each event's timestamp to its committed ledger row.
//
// Environment (all optional): KAFKA_BROKERS (use that broker instead of starting a private one),
// PIPELINE_EVENTS (20000), PIPELINE_PARTITIONS (8), PIPELINE_CONCURRENCY (8),
// PIPELINE_RATE (500 events/s), PIPELINE_PACED_SECONDS (10), PIPELINE_PROBE=1 (during the paced
// phase, a second consumer that does nothing but note when each event reaches it: Kafka's own
// delivery time, apart from the worker; off by default, it adds fetches to the broker),
// PIPELINE_BATCH_SIZE and PIPELINE_BATCH_MAX_MS (the worker's --batch-size, --batch-max-ms;
// PIPELINE_BATCH_SIZE=1 measures one transaction per event, as before the groups).


/** The baseline before and after the throughput phase, each on a world as fresh as the worker's. */
const ENGINE_DBS = { before: 'redeemctl_bench_pipeline_engine_before', after: 'redeemctl_bench_pipeline_engine_after' } as const;
const PIPELINE_DB = 'redeemctl_bench_pipeline';
const PUBLISH_BATCH = 500;

export interface PipelineOptions {
  events: number;
  partitions: number;
  concurrency: number;
  pacedRate: number;
  pacedSeconds: number;
  probe: boolean;
  /** The worker's --batch-size and --batch-max-ms (docs/worker.md, "Groups"); 1 runs one transaction per event. */
  batchSize: number;
  batchMaxMs: number;
}

export function pipelineOptions(env: Record<string, string | undefined> = process.env): PipelineOptions {
  const int = (name: string, fallback: number) => envInt(env, name, fallback);
  return {
    events: int('PIPELINE_EVENTS', 20_000),
    partitions: int('PIPELINE_PARTITIONS', 8),
    concurrency: int('PIPELINE_CONCURRENCY', 8),
    pacedRate: int('PIPELINE_RATE', 500),
    pacedSeconds: int('PIPELINE_PACED_SECONDS', 10),
    probe: env.PIPELINE_PROBE === '1',
    batchSize: int('PIPELINE_BATCH_SIZE', DEFAULT_BATCH_SIZE),
    batchMaxMs: int('PIPELINE_BATCH_MAX_MS', DEFAULT_BATCH_MAX_MS),
  };
}

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted[sorted.length - 1]!) };
}

const mean = (values: number[]) => (values.length === 0 ? NaN : round(values.reduce((a, b) => a + b, 0) / values.length));

/** What the machine and this run's processes did during one phase. */
interface PhaseLoad {
  loadavg_1m_start: number;
  loadavg_1m_end: number;
  /** Average busy cores on the whole machine (all processes, ours included), out of cpus(). */
  machine_busy_cores: number | null;
  /** This Node process (publisher and worker, or the engine callers): CPU seconds per second. */
  node_cores: number;
  /** The PostgreSQL backends serving the phase's database (the bench's own reader excluded). */
  postgres_cores: number | null;
  /** The private broker's JVM, when this run started it. */
  broker_cores: number | null;
  /** CPU milliseconds per event (or request) of each, when `events` is given. */
  cpu_ms_per_event?: { node: number; postgres: number | null; broker: number | null };
}

/** pids of the client backends connected to `datname` (not autovacuum), other than the one running this query. */
async function backendPids(reader: Kysely<Schema>, datname: string): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity
    where datname = ${datname} and backend_type = 'client backend' and pid <> pg_backend_pid()`.execute(reader);
  return rows.map((r) => Number(r.pid));
}

/**
 * CPU use during one phase. PostgreSQL is sampled per backend of the phase's database (from
 * /proc, so only for a server on this machine): a backend that connects during the phase counts
 * from zero, one that disconnects before the end is missed (the pools keep theirs open).
 */
async function phaseMeter(brokerPid: number | null, reader: Kysely<Schema>, datname: string): Promise<{ end(events?: number): Promise<PhaseLoad> }> {
  const postgresCpu = async () => {
    const cpu = new Map<number, number>();
    for (const pid of await backendPids(reader, datname)) {
      const seconds = processCpu(pid);
      if (seconds !== null) cpu.set(pid, seconds);
    }
    return cpu;
  };
  const postgres = await postgresCpu();
  const load = loadavg()[0]!;
  const machine = machineCpu();
  const node = process.cpuUsage();
  const broker = brokerPid ? processCpu(brokerPid) : null;
  const started = performance.now();
  return {
    async end(events) {
      const seconds = (performance.now() - started) / 1000;
      const machineNow = machineCpu();
      const nodeNow = process.cpuUsage(node);
      const brokerNow = brokerPid ? processCpu(brokerPid) : null;
      const postgresNow = await postgresCpu();
      const postgresSeconds =
        postgresNow.size === 0 ? null : [...postgresNow].reduce((sum, [pid, cpu]) => sum + cpu - (postgres.get(pid) ?? 0), 0);
      const nodeSeconds = (nodeNow.user + nodeNow.system) / 1e6;
      const brokerSeconds = broker !== null && brokerNow !== null ? brokerNow - broker : null;
      const perEvent = (cpu: number | null) => (cpu === null || !events ? null : round((cpu * 1000) / events, 3));
      return {
        loadavg_1m_start: round(load),
        loadavg_1m_end: round(loadavg()[0]!),
        machine_busy_cores: machine && machineNow ? round((machineNow.busy - machine.busy) / seconds) : null,
        node_cores: round(nodeSeconds / seconds),
        postgres_cores: postgresSeconds === null ? null : round(postgresSeconds / seconds),
        broker_cores: brokerSeconds === null ? null : round(brokerSeconds / seconds),
        ...(events && { cpu_ms_per_event: { node: perEvent(nodeSeconds)!, postgres: perEvent(postgresSeconds), broker: perEvent(brokerSeconds) } }),
      };
    },
  };
}

function toEvent(request: RedeemRequest, timestamp: string): RedemptionEvent {
  return {
    event_id: request.eventId!,
    user_id: request.userId,
    reward_id: request.rewardId,
    quantity: request.quantity ?? 1, // the workload always sets one
    merchant_id: request.merchantId,
    timestamp,
  };
}

/** A scratch database, migrated and seeded with the engine world, analysed like `engine` does. */
async function scratchWorld(name: string, shape: WorkloadShape): Promise<{ database: Database; world: BenchWorld }> {
  const url = await recreateDatabase(name);
  const database = await openDatabase({ url, poolSize: shape.concurrency });
  try {
    await migrate(database);
    // No VACUUM/ANALYZE: a worker meets a freshly seeded database as it is.
    const world = await seedBenchWorld(database.db, shape);
    return { database, world };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

/**
 * Waits for onProcessed to have seen every id of a phase, failing when the worker crashed or when
 * nothing moved for `stallMs`.
 */
class ProcessedTracker {
  /** event id -> when its offset was resolved, i.e. the worker holds the commit acknowledgement. */
  readonly done = new Map<string, { wall: number; at: number; processed: Processed }>();
  private wanted = new Set<string>();
  private remaining = 0;
  private waiter: (() => void) | null = null;
  private lastProgressAt = performance.now();
  duplicates = 0;

  onProcessed = (processed: Processed): void => {
    const id = processed.eventId;
    if (id === undefined) return;
    if (this.done.has(id)) {
      this.duplicates++;
      return;
    }
    const at = performance.now();
    this.done.set(id, { wall: Date.now(), at, processed });
    this.lastProgressAt = at;
    if (this.wanted.has(id) && --this.remaining === 0) this.waiter?.();
  };

  async waitFor(ids: string[], worker: WorkerHandle, what: string, stallMs = 60_000): Promise<void> {
    this.wanted = new Set(ids);
    this.remaining = ids.reduce((n, id) => n + (this.done.has(id) ? 0 : 1), 0);
    this.lastProgressAt = performance.now();
    if (this.remaining === 0) return;
    let crashed: unknown;
    worker.done.then(
      () => (crashed ??= new Error('the worker stopped')),
      (error: unknown) => (crashed ??= error),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (crashed !== undefined) {
            clearInterval(timer);
            reject(new Error(`${what}: the worker stopped with ${this.remaining} events left: ${String(crashed)}`));
          } else if (performance.now() - this.lastProgressAt > stallMs) {
            clearInterval(timer);
            reject(new Error(`${what}: no progress for ${stallMs / 1000} s, ${this.remaining} of ${ids.length} events left`));
          }
        }, 250);
        this.waiter = () => {
          clearInterval(timer);
          resolve();
        };
      });
    } finally {
      this.waiter = null;
    }
  }
}

// monitorEventLoopDelay records each interval between timer runs, the resolution included
const LOOP_RESOLUTION_MS = 10;
const lateMs = (ns: number) => round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measurePipeline(log: (line: string) => void, options: PipelineOptions = pipelineOptions()): Promise<object> {
  const run = randomBytes(3).toString('hex');
  // The engine world with the worker's concurrency (the engine callers use the same number), and
  // 5,000 codes per pool instead of 4,000: the pipeline database serves the throughput phase, the
  // warm-up and the paced phase (~3,000 + 75 + 750 codes per pool), and no pool may run dry (a
  // refusal is cheaper than a redemption; the claim's cost does not depend on the pool's size).
  const shape: WorkloadShape = { ...ENGINE_SHAPE, requests: options.events, concurrency: options.concurrency, codesPerPool: 5_000 };
  const pacedEvents = options.pacedRate * options.pacedSeconds;
  const topic = `bench-pipeline-${run}`;
  const group = `bench-pipeline-${run}`;
  const cleanups: Array<[string, () => Promise<unknown>]> = [];
  // Ctrl-C: run the exit hooks (the private broker is killed by its killOnExit hook).
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // --- broker ---------------------------------------------------------------------------------
    const { brokers, broker } = await benchBroker(log, cleanups);
    const settings: KafkaSettings = { brokers: brokers.split(',').map((b) => b.trim()), topic, dlqTopic: `${topic}.dlq` };

    const kafka = await createKafka(settings, 'redeemctl-bench-admin');
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(['disconnect the admin', () => admin.disconnect()]);
    await admin.createTopics({
      topics: [
        { topic, numPartitions: options.partitions, replicationFactor: 1 },
        { topic: settings.dlqTopic, numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    if (!broker) {
      cleanups.push(['delete the topics and group', async () => {
        await admin.deleteGroups([group]).catch(() => {});
        await admin.deleteTopics({ topics: [topic, settings.dlqTopic] });
      }]);
    }
    log(`topic ${topic}: ${options.partitions} partitions`);
    /**
     * Records appended to __consumer_offsets so far: every offset commit of every group on the
     * broker, so only this run's on the private broker. 0 before any group existed.
     */
    const offsetRecords = async () => {
      if (!(await admin.listTopics()).includes('__consumer_offsets')) return 0;
      return (await admin.fetchTopicOffsets('__consumer_offsets')).reduce((sum, p) => sum + Number(p.high), 0);
    };

    // --- databases ------------------------------------------------------------------------------
    // three identical fresh worlds: a run leaves history (claimed codes, dead tuples) that would
    // make a second run on the same database cheaper or dearer than the first
    log(`seeding three scratch databases (${shape.members} members, ${shape.poolRewards}+${shape.plainRewards} rewards, ${shape.codesPerPool} codes per pool)…`);
    const engines = {} as Record<keyof typeof ENGINE_DBS, { database: Database; world: BenchWorld }>;
    for (const label of ['before', 'after'] as const) {
      cleanups.push([`drop the engine database (${label})`, () => dropDatabase(ENGINE_DBS[label])]);
      const world = await scratchWorld(ENGINE_DBS[label], shape);
      engines[label] = world;
      cleanups.push([`close the engine database (${label})`, () => world.database.close()]);
    }
    cleanups.push(['drop the pipeline database', () => dropDatabase(PIPELINE_DB)]);
    const pipe = await scratchWorld(PIPELINE_DB, shape);
    cleanups.push(['close the pipeline database', () => pipe.database.close()]);
    // the bench's own reads go through another connection, so the worker's pool stays its own
    const reader = await openDatabase({ url: urlFor(PIPELINE_DB), poolSize: 1 });
    cleanups.push(['close the reader', () => reader.close()]);

    // --- publish the throughput events (not timed as part of the run) ---------------------------
    const publisher = await EventPublisher.connect(settings, 'redeemctl-bench-publisher');
    cleanups.push(['disconnect the publisher', () => publisher.disconnect()]);
    const throughputRequests = planRequests(pipe.world, shape, `pipe-${run}`);
    const publishedAt = new Date().toISOString();
    const throughputEvents = throughputRequests.map((r) => toEvent(r, publishedAt));
    log(`publishing ${throughputEvents.length} events in batches of ${PUBLISH_BATCH}…`);
    const publishStarted = performance.now();
    for (let i = 0; i < throughputEvents.length; i += PUBLISH_BATCH) await publisher.publish(throughputEvents.slice(i, i + PUBLISH_BATCH));
    const publishSeconds = (performance.now() - publishStarted) / 1000;

    // --- a. baseline: the engine workload, same shape, same concurrency, on its own fresh world,
    // run right before and again right after the throughput phase (the machine is shared: its load
    // drifts within minutes, so the pipeline is compared with the mean of the two) ---------------
    const engineRound = async (label: keyof typeof ENGINE_DBS) => {
      log(`baseline ${label}: engine workload, ${shape.requests} requests, ${shape.concurrency} callers…`);
      const engine = engines[label];
      const meter = await phaseMeter(broker?.pid ?? null, reader.db, ENGINE_DBS[label]);
      const result = await runWorkload(engine.database.db, planRequests(engine.world, shape, `engine-${label}-${run}`), shape.concurrency);
      const load = await meter.end(result.requests);
      const requestsPerSecond = round(result.requests / result.seconds);
      log(`baseline ${label}: ${requestsPerSecond} requests/s (p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms)`);
      return { ...result, requests_per_s: requestsPerSecond, load };
    };
    const engineBefore = await engineRound('before');

    // --- b. throughput: start the worker on the backlog ---------------------------------------
    const tracker = new ProcessedTracker();
    const sink = { write: () => true };
    log(`throughput: worker with concurrency ${options.concurrency} on ${options.partitions} partitions…`);
    const workerMeter = await phaseMeter(broker?.pid ?? null, reader.db, PIPELINE_DB);
    const commitsBefore = await offsetRecords();
    const workerStarted = performance.now();
    const worker = await startWorker({
      database: pipe.database,
      kafka: settings,
      group,
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      batchMaxMs: options.batchMaxMs,
      logger: createLogger('text', sink),
      registry: new Registry(),
      clientId: 'redeemctl-bench-worker',
      onProcessed: tracker.onProcessed,
    });
    cleanups.push(['stop the worker', () => worker.stop()]);
    const joinedMs = performance.now() - workerStarted;
    const throughputIds = throughputEvents.map((e) => e.event_id);
    await tracker.waitFor(throughputIds, worker, 'throughput');
    const throughputLoad = await workerMeter.end(throughputIds.length);
    const throughputCommits = (await offsetRecords()) - commitsBefore;
    const doneAt = Math.max(...throughputIds.map((id) => tracker.done.get(id)!.at));
    const firstAt = Math.min(...throughputIds.map((id) => tracker.done.get(id)!.at));
    const seconds = (doneAt - workerStarted) / 1000;
    const eventsPerSecond = round(throughputIds.length / seconds);
    const steadyPerSecond = round((throughputIds.length - 1) / ((doneAt - firstAt) / 1000));
    const recordedCount = await countRequests(reader.db, `pipe-${run}-%`);
    if (recordedCount !== throughputIds.length) throw new Error(`throughput: ${recordedCount} request records for ${throughputIds.length} events`);
    const processed = throughputIds.map((id) => tracker.done.get(id)!.processed);
    const perPartition = new Map<number, { events: number; lastAt: number }>();
    for (const id of throughputIds) {
      const { at, processed: p } = tracker.done.get(id)!;
      const entry = perPartition.get(p.partition) ?? { events: 0, lastAt: 0 };
      entry.events++;
      entry.lastAt = Math.max(entry.lastAt, at);
      perPartition.set(p.partition, entry);
    }
    const handlerMs = processed.map((p) => p.ms);
    const throughput = {
      seconds: round(seconds),
      join_ms: round(joinedMs),
      first_event_ms: round(firstAt - workerStarted),
      steady_events_per_s: steadyPerSecond,
      publish_seconds: round(publishSeconds),
      outcomes: countBy(processed.map((p) => (p.outcome === 'refused' ? `refused ${p.errorCode}` : p.outcome))),
      duplicate_deliveries: tracker.duplicates,
      // Processed.ms: one redeem() call as the worker saw it (its retries included)
      handler_ms: { mean: mean(handlerMs), ...percentiles(handlerMs) },
      // share of concurrency x wall time spent inside redeem(): the rest is the Kafka loop
      // (fetch, offset commits, heartbeats) and idle partitions at the tail
      // events per database transaction (the worker's groups; 1: alone), averaged over events
      events_per_transaction: mean(processed.map((p) => p.group ?? 1)),
      handler_busy_share: round(handlerMs.reduce((a, b) => a + b, 0) / (options.concurrency * seconds * 1000), 3),
      partitions_finished_s: [...perPartition.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([partition, e]) => ({ partition, events: e.events, finished_s: round((e.lastAt - workerStarted) / 1000) })),
      // records the group coordinator appended to __consumer_offsets (one per partition per commit)
      offset_commit_records: broker ? throughputCommits : null,
      offset_commit_records_per_event: broker ? round(throughputCommits / throughputIds.length, 3) : null,
      load: throughputLoad,
    };
    log(`throughput: ${eventsPerSecond} events/s (${round(seconds)} s from startWorker, join ${round(joinedMs)} ms)`);
    const engineAfter = await engineRound('after');
    const engineRps = round((engineBefore.requests_per_s + engineAfter.requests_per_s) / 2);
    log(`ratio ${round(eventsPerSecond / engineRps, 3)} (${eventsPerSecond} events/s against the engine's ${engineRps} requests/s, the mean of before and after)`);

    // --- c. latency: paced events, the worker caught up -----------------------------------------
    const pacedShape: WorkloadShape = { ...shape, requests: pacedEvents, seed: shape.seed + 1 };
    const pacedRequests = planRequests(pipe.world, pacedShape, `paced-${run}`);
    // Publishes `requests` at `rate` per second, each stamped as its send starts; resolves once
    // every send was acknowledged, with the acknowledgement times.
    const pace = async (requests: RedeemRequest[], rate: number) => {
      const events: RedemptionEvent[] = [];
      const acked = new Map<string, number>();
      const sends: Array<Promise<void>> = [];
      let sendErrors = 0;
      const started = performance.now();
      let sent = 0;
      while (sent < requests.length) {
        const due = Math.min(requests.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        if (due > sent) {
          const stamp = new Date().toISOString();
          const slice = requests.slice(sent, due).map((r) => toEvent(r, stamp));
          events.push(...slice);
          sent = due;
          sends.push(
            publisher.publish(slice).then(
              () => {
                const now = Date.now();
                for (const e of slice) acked.set(e.event_id, now);
              },
              () => void sendErrors++,
            ),
          );
        }
        await sleep(2);
      }
      const sendSeconds = (performance.now() - started) / 1000;
      await Promise.all(sends);
      if (sendErrors > 0) throw new Error(`latency: ${sendErrors} publish calls failed`);
      return { events, acked, started, sendSeconds };
    };
    // Warm-up, not measured: one second at the same rate, so the worker's pool (idle during the
    // second baseline) has its connections again and the loop runs as it does in steady state.
    const warmRequests = planRequests(pipe.world, { ...shape, requests: options.pacedRate, seed: shape.seed + 2 }, `warm-${run}`);
    log(`latency: warm-up, ${warmRequests.length} events at ${options.pacedRate} events/s…`);
    const warm = await pace(warmRequests, options.pacedRate);
    await tracker.waitFor(warm.events.map((e) => e.event_id), worker, 'warm-up');
    const probed = new Map<string, number>();
    if (options.probe) {
      const probe = kafka.consumer({ groupId: `${group}-probe`, maxWaitTimeInMs: 1_000 });
      const joined = new Promise<void>((resolve) => probe.on(probe.events.GROUP_JOIN, () => resolve()));
      await probe.connect();
      cleanups.push(['stop the probe', () => probe.disconnect()]);
      await probe.subscribe({ topic, fromBeginning: false });
      await probe.run({
        partitionsConsumedConcurrently: options.partitions,
        eachMessage: async ({ message }) => {
          const now = Date.now();
          const id = (JSON.parse(message.value!.toString('utf8')) as { event_id: string }).event_id;
          if (!probed.has(id)) probed.set(id, now);
        },
      });
      await joined;
      log('probe consumer joined');
    }
    log(`latency: ${pacedEvents} events at ${options.pacedRate} events/s, each stamped when it is published…`);
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const pacedMeter = await phaseMeter(broker?.pid ?? null, reader.db, PIPELINE_DB);
    const pacedCommitsBefore = await offsetRecords();
    const { events, acked, started: pacedStarted, sendSeconds: pacedSendSeconds } = await pace(pacedRequests, options.pacedRate);
    const pacedIds = events.map((e) => e.event_id);
    await tracker.waitFor(pacedIds, worker, 'latency');
    const pacedLoad = await pacedMeter.end(pacedEvents);
    const pacedCommits = (await offsetRecords()) - pacedCommitsBefore;
    loopDelay.disable();

    const { rows } = await sql<{ event_id: string; ts: number; created: number; processing_ms: number; ledger_created: number | null }>`
      select r.event_id, extract(epoch from r.event_timestamp) * 1000 as ts, extract(epoch from r.created_at) * 1000 as created,
             r.processing_ms,
             (select extract(epoch from min(l.created_at)) * 1000 from reward_redemptions_ledger l where l.event_id = r.event_id) as ledger_created
      from redemption_requests r where r.event_id like ${`paced-${run}-%`}`.execute(reader.db);
    if (rows.length !== pacedEvents) throw new Error(`latency: ${rows.length} request records for ${pacedEvents} events`);
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const e2e: number[] = [];
    const e2eDb: number[] = [];
    const publishAck: number[] = [];
    const pickup: number[] = [];
    const inFunction: number[] = [];
    const commitAndReturn: number[] = [];
    const ledgerTxStart: number[] = [];
    for (const e of events) {
      const row = byId.get(e.event_id)!;
      const ts = Number(row.ts);
      const done = tracker.done.get(e.event_id)!.wall;
      const created = Number(row.created);
      const ms = Number(row.processing_ms);
      e2e.push(done - ts);
      e2eDb.push(created + ms - ts);
      publishAck.push(acked.get(e.event_id)! - ts);
      pickup.push(created - ts);
      inFunction.push(ms);
      commitAndReturn.push(done - (created + ms));
      if (row.ledger_created !== null) ledgerTxStart.push(Number(row.ledger_created) - ts);
    }
    const pacedProcessed = pacedIds.map((id) => tracker.done.get(id)!.processed);
    const pacedDoneSeconds = (Math.max(...pacedIds.map((id) => tracker.done.get(id)!.at)) - pacedStarted) / 1000;
    const e2eMs = percentiles(e2e);
    const latency = {
      send_seconds: round(pacedSendSeconds),
      achieved_rate: round(pacedEvents / pacedSendSeconds),
      // from the first send to the last event processed: above send_seconds when the worker fell behind
      drain_seconds: round(pacedDoneSeconds),
      processed_per_s: round(pacedEvents / pacedDoneSeconds),
      // e2e_ms (the headline): event timestamp -> the worker holds the commit acknowledgement
      // (onProcessed, right after redeem() returned); an upper bound of "committed"
      // e2e_db_ms: event timestamp -> redemption_requests.created_at + processing_ms (the
      // function's end inside the transaction, before the commit): a lower bound
      e2e_db_ms: percentiles(e2eDb),
      breakdown_ms: {
        publish_ack: percentiles(publishAck),
        ...(options.probe && {
          // PIPELINE_PROBE: when an idle second consumer received the event (Kafka alone)
          probe_received: percentiles(events.filter((e) => probed.has(e.event_id)).map((e) => probed.get(e.event_id)! - Date.parse(e.timestamp))),
        }),
        timestamp_to_function_start: percentiles(pickup),
        in_function: percentiles(inFunction),
        commit_and_return: percentiles(commitAndReturn),
        handler: percentiles(pacedProcessed.map((p) => p.ms)),
      },
      // reward_redemptions_ledger.created_at is now(), the transaction's start, not its commit
      ledger_created_at_minus_timestamp_ms: percentiles(ledgerTxStart),
      outcomes: countBy(pacedProcessed.map((p) => (p.outcome === 'refused' ? `refused ${p.errorCode}` : p.outcome))),
      // this process's event loop (publisher and worker share it): how late a 10 ms timer fired
      event_loop_delay_ms: { p50: lateMs(loopDelay.percentile(50)), p99: lateMs(loopDelay.percentile(99)), max: lateMs(loopDelay.max) },
      // the probe consumer's commits included when PIPELINE_PROBE=1
      offset_commit_records: broker ? pacedCommits : null,
      offset_commit_records_per_event: broker ? round(pacedCommits / pacedEvents, 3) : null,
      load: pacedLoad,
    };
    log(`latency: e2e p50 ${e2eMs.p50} ms, p95 ${e2eMs.p95} ms, p99 ${e2eMs.p99} ms, max ${e2eMs.max} ms`);

    return {
      bench: 'pipeline',
      broker_jvm_opts: broker ? BENCH_BROKER_JVM_OPTS : null,
      events: throughputIds.length,
      events_per_s: eventsPerSecond,
      engine_requests_per_s: engineRps,
      ratio: round(eventsPerSecond / engineRps, 3),
      goal_ratio: 0.7,
      paced_rate: options.pacedRate,
      paced_events: pacedEvents,
      e2e_ms: e2eMs,
      goal_p99_ms: 50,
      partitions: options.partitions,
      concurrency: options.concurrency,
      batch_size: options.batchSize,
      batch_max_ms: options.batchMaxMs,
      broker: broker ? { version: broker.version, private: true } : { private: false },
      machine: { cpus: cpus().length, loadavg: loadavg().map((v) => round(v)) },
      // the pipeline against each baseline alone: how much the machine's drift moves the ratio
      ratio_range: [round(eventsPerSecond / Math.max(engineBefore.requests_per_s, engineAfter.requests_per_s), 3), round(eventsPerSecond / Math.min(engineBefore.requests_per_s, engineAfter.requests_per_s), 3)],
      engine: { before: engineBefore, after: engineAfter },
      throughput,
      latency,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const [what, cleanup] of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: could not ${what}: ${(error as Error).message}`);
      }
    }
  }
}

async function countRequests(db: Kysely<Schema>, pattern: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from redemption_requests where event_id like ${pattern}`.execute(db);
  return Number(rows[0]!.n);
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
