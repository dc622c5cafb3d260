import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The suite runs its files on 4 workers (vitest.config.ts). On a clean checkout (CI) vitest has no
// record of earlier durations and starts the largest files first, so the two embedded-lock files,
// short to read but 1.5 to 2.5 minutes to run (PGlite processes waiting on each other), started
// last and ran alone at the end: 9.5 of the run's minutes on a slow day, against about 7.5 when
// every worker is busy to the end. These three (PGlite and terminal processes, no Kafka) start
// first; the rest follow in vitest's own order (by recorded duration when it has one, else by
// size). Kafka's cluster test is not moved: an earlier sequencer put it in the busiest minutes,
// where it timed out (docs/testing.md, "Suite time").
const SLOW_FIRST = ['tests/cli/embeddedLock.test.ts', 'tests/cli/embeddedLockRecovery.test.ts', 'tests/cli/interrupt.test.ts'];

function rank(spec: TestSpecification): number {
  const at = SLOW_FIRST.findIndex((file) => spec.moduleId.replaceAll('\\', '/').endsWith(file));
  return at < 0 ? SLOW_FIRST.length : at;
}

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: files outside the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
