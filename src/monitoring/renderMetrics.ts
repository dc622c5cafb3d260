import type { CliIO } from '../cli/io.js';
import { keyValues, paint, table } from '../cli/output.js';
import type { MetricsReport, Percentiles } from './redemptionMetrics.js';

// The human presentation of `metrics`: one summary table, then failures, quantities, latency.

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;
const ms = (value: number | null): string => (value === null ? '' : value.toFixed(1));

function latencyRow(io: CliIO, name: string, p: Percentiles): Array<string | number> {
  const target = p.target_ms === null ? 'none set' : `< ${p.target_ms}`;
  const verdict = p.over_target === null ? '' : p.over_target ? paint(io, 'red', 'p99 over target') : paint(io, 'green', 'ok');
  return [name, p.samples, ms(p.p50), ms(p.p95), ms(p.p99), target, verdict];
}

export function renderMetrics(io: CliIO, m: MetricsReport): string {
  const replay = `${pct(m.redelivery.share)} (${m.redelivery.redeliveries} redeliveries)`;
  const summary = keyValues(io, [
    ['window', `${m.window.since} .. ${m.window.until}`],
    ['requests', m.requests],
    ['successes', `${m.successes}${m.requests ? ` (${pct(m.successes / m.requests)})` : ''}`],
    ['failures', m.failures],
    ['pattern A / B', `${m.patterns.A} / ${m.patterns.B} (${pct(m.patterns.a_share)} / ${pct(m.patterns.b_share)})`],
    ['quantity 1 / > 1', `${pct(m.quantity.qty_one_share)} / ${pct(m.quantity.qty_many_share)}`],
    ['average quantity', m.quantity.average === null ? '' : m.quantity.average.toFixed(2)],
    [
      'idempotent redeliveries',
      m.redelivery.flagged ? paint(io, 'red', `${replay} ALERT above ${pct(m.redelivery.alert_above)}`) : replay,
    ],
    ['points burned', m.points_burned],
  ]);
  const sections = [summary];
  if (m.failures_by_code.length > 0) {
    sections.push(table(io, ['error code', 'failures'], m.failures_by_code.map((f) => [f.error_code, f.count])));
  }
  sections.push(table(io, ['quantity', 'requests', 'share'], m.quantity.histogram.map((h) => [h.bucket, h.count, pct(h.share)])));
  sections.push(
    table(io, ['latency (ms)', 'samples', 'p50', 'p95', 'p99', 'target', ''], [
      latencyRow(io, 'event processing', m.latency_ms.processing),
      latencyRow(io, 'end to end', m.latency_ms.end_to_end),
    ]),
  );
  sections.push(paint(io, 'dim', 'API response time (target < 50 ms) is measured by `serve`: redeemctl_api_request_duration_seconds on its metrics port.'));
  return sections.join('\n');
}
