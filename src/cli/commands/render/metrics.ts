import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatDecimal, formatMs, formatPercent as pct } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { keyValues, paint, table } from '../../output.js';
import type { MetricsReport, Percentiles } from '../../../monitoring/redemptionMetrics.js';

// The human presentation of `metrics`: one summary table, then failures, quantities, latency.
// Numbers and times in the formats of src/shared/format.ts.

function latencyRow(io: CliIO, name: string, p: Percentiles): Array<string | number> {
  const target = p.target_ms === null ? 'none set' : `< ${formatMs(p.target_ms)}`;
  const verdict = p.over_target === null ? '' : p.over_target ? paint(io, 'red', 'p99 over target') : paint(io, 'green', 'ok');
  return [name, formatCount(p.samples), formatMs(p.p50), formatMs(p.p95), formatMs(p.p99), target, verdict];
}

export function renderMetrics(io: CliIO, m: MetricsReport, view: TimeView = UTC_VIEW): string {
  const replay = `${pct(m.redelivery.share)} (${formatCount(m.redelivery.redeliveries)} redeliveries)`;
  const summary = keyValues(io, [
    [view.head('window'), `${view.time(m.window.since)} .. ${view.time(m.window.until)}`],
    ['requests', formatCount(m.requests)],
    ['successes', `${formatCount(m.successes)}${m.requests ? ` (${pct(m.successes / m.requests)})` : ''}`],
    ['failures', formatCount(m.failures)],
    ['pattern A / B', `${formatCount(m.patterns.A)} / ${formatCount(m.patterns.B)} (${pct(m.patterns.a_share)} / ${pct(m.patterns.b_share)})`],
    ['quantity 1 / > 1', `${pct(m.quantity.qty_one_share)} / ${pct(m.quantity.qty_many_share)}`],
    ['average quantity', formatDecimal(m.quantity.average, 2)],
    [
      'idempotent redeliveries',
      m.redelivery.flagged ? paint(io, 'red', `${replay} ALERT above ${pct(m.redelivery.alert_above)}`) : replay,
    ],
    ['points burned', formatCount(m.points_burned)],
  ]);
  const sections = [summary];
  if (m.failures_by_code.length > 0) {
    sections.push(table(io, ['error code', 'failures'], m.failures_by_code.map((f) => [f.error_code, formatCount(f.count)])));
  }
  sections.push(table(io, ['quantity', 'requests', 'share'], m.quantity.histogram.map((h) => [h.bucket, formatCount(h.count), pct(h.share)])));
  sections.push(
    // Too narrow for all of it: p50, then p95 go; the p99 is what the target is about.
    table(io, ['latency', 'samples', { head: 'p50', drop: 1 }, { head: 'p95', drop: 2 }, 'p99', 'target', ''], [
      latencyRow(io, 'event processing', m.latency_ms.processing),
      latencyRow(io, 'end to end', m.latency_ms.end_to_end),
    ]),
  );
  sections.push(paint(io, 'dim', 'API response time (target < 50 ms) is measured by `serve`: redeemctl_api_request_duration_seconds on its metrics port.'));
  // A blank line between the sections: without borders (not a terminal) they would run together.
  return sections.join('\n\n');
}
