import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './tests/support/slowFirstSequencer.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    globalSetup: ['tests/support/kafkaGlobalSetup.ts', 'tests/support/pgGlobalSetup.ts'],
    pool: 'forks',
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server; each file has its own database.
    sequence: { concurrent: false, sequencer: SlowFirstSequencer },
  },
});
