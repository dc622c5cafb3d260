import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolHealthReport } from '../../src/monitoring/poolHealth.js';
import type { MetricsReport } from '../../src/monitoring/redemptionMetrics.js';
import { ensureDist, REPO_ROOT, runBinary, runInProcess, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import type { Scenario } from '../support/scenario.js';
import { buildMetricsDataset } from './metricsDataset.js';
import { buildPoolDataset } from './poolDataset.js';

// `pool health` and `metrics` through the CLI: exit codes, --json as one document, the flags.
// The commands run at the real time; the datasets lie in 2025, so only what does not depend on
// the clock (counts, statuses) is asserted here. The figures are checked in the query tests.

let handle: TestDatabase;
let pools: Scenario;
let idle: Scenario;
let metricsMerchant: string;
const cli = (merchant: string, ...argv: string[]): Promise<CliResult> =>
  runInProcess(argv, { env: { DATABASE_URL: handle.url!, NO_COLOR: '1', REDEEMCTL_MERCHANT: merchant } });

beforeAll(async () => {
  handle = await createServerDatabase({ poolSize: 2 });
  pools = await buildPoolDataset(handle.database.db);
  idle = await buildPoolDataset(handle.database.db, { idleOnly: true });
  metricsMerchant = (await buildMetricsDataset(handle.database.db)).scenario.merchantId;
});
afterAll(async () => {
  await handle?.drop();
});

describe('pool health', () => {
  it('--json prints one document with the pools soonest-empty first; alerts alone exit 0', async () => {
    const r = await cli(pools.merchantId, 'pool', 'health', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as PoolHealthReport;
    expect(Object.keys(doc)).toEqual(['generated_at', 'threshold', 'pools', 'alerts']);
    expect(doc.threshold).toBe(50);
    // At the real time nothing was redeemed lately: the empty pools first, then the rest (never
    // empty at rate 0) by fewest available.
    expect(doc.pools.map((p) => [p.reward_code, p.status, p.available, p.hours_to_empty])).toEqual([
      ['DRY', 'EMPTY', 0, 0], ['NOCODES', 'EMPTY', 0, 0], ['LOWPOOL', 'LOW', 10, null], ['HOT', 'OK', 60, null], ['IDLE', 'OK', 80, null],
      ['STEADY', 'OK', 151, null],
    ]);
    expect(Object.keys(doc.pools[0]!).sort()).toEqual([
      'available', 'depletion_per_hour', 'empty_at', 'expired', 'hours_to_empty', 'insufficient_codes_last_day', 'name',
      'redeemed', 'redeemed_last_day', 'redeemed_last_hour', 'reward_code', 'reward_id', 'status', 'total', 'voided',
    ]);
    expect(doc.alerts.map((a) => a.reward_code)).toEqual(['DRY', 'NOCODES', 'LOWPOOL']);
    expect(r.stderr).toBe('');
  });

  it('--fail-on-alert exits 1 when a pool is LOW or EMPTY, and prints them', async () => {
    const human = await cli(pools.merchantId, 'pool', 'health', '--fail-on-alert');
    expect(human.code).toBe(1);
    // Not a terminal: plain columns, two spaces apart (docs/output.md).
    expect(human.stdout).toMatch(/^DRY {2,}!! EMPTY {2,}0 /m);
    expect(human.stdout).toMatch(/^LOWPOOL {2,}! LOW {2,}10 /m);
    expect(human.stdout).toContain('ALERT EMPTY DRY: 0 code(s) available (threshold 50)');
    expect(human.stdout).toContain('ALERT LOW LOWPOOL: 10 code(s) available (threshold 50)');
    expect(human.stdout).not.toContain('ALERT LOW HOT');

    const json = await cli(pools.merchantId, 'pool', 'health', '--fail-on-alert', '--json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as PoolHealthReport).alerts).toHaveLength(3);
    expect(json.stderr.trim().split('\n')).toEqual([
      'ALERT EMPTY DRY: 0 code(s) available (threshold 50)',
      'ALERT EMPTY NOCODES: 0 code(s) available (threshold 50)',
      'ALERT LOW LOWPOOL: 10 code(s) available (threshold 50)',
    ]);
  });

  it('--fail-on-alert exits 0 when every pool is OK; --threshold moves the line', async () => {
    const ok = await cli(idle.merchantId, 'pool', 'health', '--fail-on-alert');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('No alerts.');
    expect((await cli(idle.merchantId, 'pool', 'health', '--fail-on-alert', '--threshold', '80')).code).toBe(0);
    const low = await cli(idle.merchantId, 'pool', 'health', '--fail-on-alert', '--threshold', '81', '--json');
    expect(low.code).toBe(1);
    expect(JSON.parse(low.stdout)).toMatchObject({ threshold: 81, alerts: [{ reward_code: 'IDLE', status: 'LOW', available: 80 }] });
  });

  it.each([['abc'], ['-1'], ['2.5']])('--threshold %s exits 2 naming the flag', async (value) => {
    const r = await cli(pools.merchantId, 'pool', 'health', '--threshold', value);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threshold must be a whole number');
    expect(r.stdout).toBe('');
  });

  it('the built binary exits 1 on an alert and 0 without one, for cron', async () => {
    await ensureDist();
    const env = { DATABASE_URL: handle.url!, NO_COLOR: '1' };
    const alert = await runBinary(['pool', 'health', '--fail-on-alert', '--json', '--merchant', pools.merchantId], env, REPO_ROOT);
    expect(alert.code, alert.stderr).toBe(1);
    expect(JSON.parse(alert.stdout)).toMatchObject({ alerts: [{ reward_code: 'DRY' }, { reward_code: 'NOCODES' }, { reward_code: 'LOWPOOL' }] });
    const calm = await runBinary(['pool', 'health', '--fail-on-alert', '--merchant', idle.merchantId], env, REPO_ROOT);
    expect(calm.code, calm.stderr).toBe(0);
  });
});

describe('metrics', () => {
  it('--json prints one document over the window given by an ISO time', async () => {
    const r = await cli(metricsMerchant, 'metrics', '--since', '2025-05-31T12:00:00Z', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as MetricsReport;
    expect(Object.keys(doc)).toEqual([
      'window', 'requests', 'successes', 'failures', 'failures_by_code', 'quantity', 'patterns', 'latency_ms', 'redelivery', 'points_burned',
    ]);
    expect(doc.window.since).toBe('2025-05-31T12:00:00.000Z');
    expect(doc).toMatchObject({ requests: 21, successes: 16, failures: 5, points_burned: 2510, patterns: { A: 11, B: 5 } });
    expect(doc.quantity.histogram.map((h) => h.count)).toEqual([11, 5, 1, 1, 1, 1]);
  });

  it('defaults to the last 24 hours and takes spans such as 30m and 7d', async () => {
    for (const args of [[], ['--since', '30m'], ['--since', '7d']]) {
      const r = await cli(metricsMerchant, 'metrics', ...args, '--json');
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as MetricsReport;
      const span = Date.parse(doc.window.until) - Date.parse(doc.window.since);
      expect(span).toBe(({ '': 24, '30m': 0.5, '7d': 168 } as Record<string, number>)[args[1] ?? '']! * 3_600_000);
      expect(doc.requests).toBe(0); // the dataset lies in 2025
    }
  });

  it('prints tables for people: summary, failures, histogram, latency with targets', async () => {
    const r = await cli(metricsMerchant, 'metrics', '--since', '2025-05-31T12:00:00Z');
    expect(r.code, r.stderr).toBe(0);
    for (const text of ['requests', 'INSUFFICIENT_POINTS', '11-50', 'event processing', '< 500', 'p99 over target', 'end to end', 'none set', 'points burned']) {
      expect(r.stdout).toContain(text);
    }
  });

  it.each([['yesterday'], ['24'], ['0h'], ['2025-13-40T00:00:00Z'], ['2999-01-01T00:00:00Z']])('--since %s exits 2 naming --since', async (value) => {
    const r = await cli(metricsMerchant, 'metrics', '--since', value);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --since\b/);
    expect(r.stdout).toBe('');
  });
});
