import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The test files measured slowest start first, so the suite's wall time is never one of them
// started last while the other workers sit idle. Without a cache (a clean CI checkout) vitest
// orders by file size, which put them anywhere. Measured in the clean-clone run of 2026-12-02
// (docs/testing.md, "Suite time"); keep the list to the few that take a minute or more.
const HEAVIEST = [
  'tests/cli/embeddedLock.test.ts',
  'tests/cli/interrupt.test.ts',
  'tests/cli/embeddedLockRecovery.test.ts',
  'tests/cli/lookup.test.ts',
  'tests/worker/brokerRestart.test.ts',
  'tests/kafka/cluster.test.ts',
  'tests/kafka/security.test.ts',
  'tests/worker/processes.test.ts',
];

function rank(spec: TestSpecification): number {
  const at = HEAVIEST.findIndex((file) => spec.moduleId.endsWith(file));
  return at < 0 ? HEAVIEST.length : at;
}

export default class HeaviestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
