// Vitest global setup: one real Kafka broker (scripts/kafka-broker.js) for the whole test run.
//
// - When KAFKA_BROKERS is already set (a broker you started yourself, e.g. `npm run kafka:start`),
//   nothing is started and that address is used.
// - Test files read the address with `inject('kafkaBrokers')` (typed below) or from
//   process.env.KAFKA_BROKERS (set here before the workers start, so they inherit it).
// - The returned teardown stops the broker and removes its temp folder.
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** bootstrap address of the test Kafka broker, e.g. "127.0.0.1:39123" */
    kafkaBrokers: string;
  }
}

/** What scripts/kafka-broker.js's startBroker() returns (the parts used here). */
interface BrokerHandle {
  brokers: string;
  pid: number;
  dir: string;
  logDir: string;
  version: string;
  startupMs: number;
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

interface KafkaBrokerModule {
  startBroker(opts?: { dir?: string; timeoutMs?: number; heap?: string; killOnExit?: boolean }): Promise<BrokerHandle>;
}

// scripts/ is plain JavaScript without type declarations; a computed specifier keeps tsc from
// trying to resolve it, and the interface above types what is used.
const brokerModuleUrl = new URL('../../scripts/kafka-broker.js', import.meta.url).href;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const preset = process.env.KAFKA_BROKERS?.trim();
  if (preset) {
    project.provide('kafkaBrokers', preset);
    return async () => {};
  }

  const { startBroker } = (await import(brokerModuleUrl)) as KafkaBrokerModule;
  // killOnExit: if vitest exits without running the teardown (Ctrl-C, a crash in another global
  // setup, process.exit in a test runner hook), the JVM and its temp folder go with it
  const handle = await startBroker({ killOnExit: true });
  process.env.KAFKA_BROKERS = handle.brokers;
  project.provide('kafkaBrokers', handle.brokers);

  return async () => {
    delete process.env.KAFKA_BROKERS;
    await handle.stop();
  };
}
