// The Kafka broker a benchmark runs against: KAFKA_BROKERS when set, else a private one started
// from scripts/kafka-broker.js (plain JavaScript, so the parts used are typed here).

export interface BrokerHandle {
  brokers: string;
  pid: number;
  version: string;
  startupMs: number;
}

interface KafkaBrokerModule {
  startBroker(opts?: { killOnExit?: boolean; jvmOpts?: string[] }): Promise<BrokerHandle>;
  stopBroker(handle: BrokerHandle): Promise<void>;
}

// scripts/ sits one level up from bench/; a computed specifier keeps tsc
// from resolving the untyped module.
const brokerModuleUrl = new URL('../scripts/kafka-broker.js', import.meta.url).href;

/**
 * Extra JVM options for the benchmark's private broker: KAFKA_DEV_JVM_OPTS, else none, so it runs
 * as the test broker does, stopped at C1 (scripts/kafka-broker.js). The full JIT was tried for the
 * benchmarks (2026-12-02, `api`, alone): C2 compiling while the paced phase ran took the broker from
 * 0.43 to 0.68 ms of CPU per request and the p99 from 21 to 67 ms on the 2 cores, and a run of a
 * minute or two never reaches the steady state that would repay it.
 */
export const BENCH_BROKER_JVM_OPTS: string[] = (process.env.KAFKA_DEV_JVM_OPTS ?? '').trim().split(/\s+/).filter(Boolean);

export type Cleanups = Array<[string, () => Promise<unknown>]>;

/** The broker address, and the private broker's handle (null with KAFKA_BROKERS); its stop joins `cleanups`. */
export async function benchBroker(log: (line: string) => void, cleanups: Cleanups): Promise<{ brokers: string; broker: BrokerHandle | null }> {
  const preset = process.env.KAFKA_BROKERS?.trim() ?? '';
  if (preset !== '') {
    log(`using KAFKA_BROKERS=${preset}`);
    return { brokers: preset, broker: null };
  }
  log(`starting a private Kafka broker (scripts/kafka-broker.js${BENCH_BROKER_JVM_OPTS.length ? `, JVM options: ${BENCH_BROKER_JVM_OPTS.join(' ')}` : ''})…`);
  const brokerModule = (await import(brokerModuleUrl)) as KafkaBrokerModule;
  const broker = await brokerModule.startBroker({ killOnExit: true, jvmOpts: BENCH_BROKER_JVM_OPTS });
  cleanups.push(['stop the broker', () => brokerModule.stopBroker(broker)]);
  log(`broker ${broker.version} on ${broker.brokers} (up in ${(broker.startupMs / 1000).toFixed(1)} s)`);
  return { brokers: broker.brokers, broker };
}
