import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import { runInProcess, type CliResult } from './cliHarness.js';
import { createServerDatabase, type TestDatabase } from './databases.js';
import { brokers, closeAll } from './eventsKafka.js';
import { findViolations } from './invariants.js';
import { Scenario, uniqueName } from './scenario.js';

// One test file's world for tests/ops: a throwaway server database seeded with one merchant,
// the CLI in process with KAFKA_BROKERS and REDEEMCTL_MERCHANT set, invariants checked after
// each test, and the Kafka clients and topics cleaned up at the end.

/** ann and bob; MUG (no pool, 10 points) and VOUCHER (a pool of 3 codes, free). */
export function eventsFixture(): FixtureInput {
  return {
    merchant: { name: uniqueName('Events') },
    users: [
      { email: 'ann@e.test', points: 10_000 },
      { email: 'bob@e.test', tel: '+15550001', points: 10_000 },
    ],
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 10 },
      { reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 0, assign_promocode: true, codes: ['V-1', 'V-2', 'V-3'] },
    ],
  };
}

export interface EventsWorld {
  handle: TestDatabase;
  s: Scenario;
  env: Record<string, string>;
  /** The CLI with the world's environment, plus `extra` (e.g. KAFKA_TOPIC). */
  cli(argv: string[], extra?: Record<string, string | undefined>): Promise<CliResult>;
}

export function useEventsWorld(fixture: () => FixtureInput = eventsFixture): () => EventsWorld {
  let world: EventsWorld | undefined;
  beforeAll(async () => {
    const handle = await createServerDatabase({ poolSize: 4 });
    const s = await Scenario.create(handle.database.db, fixture());
    const env = { DATABASE_URL: handle.url!, REDEEMCTL_MERCHANT: s.merchantId, KAFKA_BROKERS: brokers, NO_COLOR: '1', REDEEMCTL_ACTOR: 'tester' };
    world = { handle, s, env, cli: (argv, extra = {}) => runInProcess(argv, { env: { ...env, ...extra } }) };
  });
  afterEach(async () => {
    if (world) expect(await findViolations(world.handle.database.db)).toEqual([]);
  });
  afterAll(async () => {
    await closeAll();
    await world?.handle.drop();
  });
  return () => {
    if (!world) throw new Error('the events world is not ready yet');
    return world;
  };
}

export function json<T = Record<string, any>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
