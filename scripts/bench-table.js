#!/usr/bin/env node
// `npm run bench:table`: the README's performance table, made from bench/results.jsonl (every
// benchmark run appends its line there: bench/main.ts). For each benchmark the latest run is
// shown (or, with the `pipeline` benchmark, the latest batched and unbatched runs), with its
// commit and the load average at its start and end, beside the goal of docs/benchmarks.md. The
// table replaces what stands between the two markers in README.md; nothing else is touched.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const START = '<!-- bench-table:start -->';
const END = '<!-- bench-table:end -->';

const n = (value, digits = 0) =>
  value === null || value === undefined ? '?' : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const yes = (met) => (met ? '**met**' : 'not met');

/** Per benchmark: what was measured, its same-run baseline, the goal, and whether it was met. */
const ROWS = {
  engine: (r) => ({
    measured: `mix ${n(r.requests_per_s)} requests/s; pool half ${n(r.pool_requests_per_s)}; no-pool half ${n(r.no_pool_requests_per_s)}`,
    baseline: `pgbench tpcb-like ${n(r.pgbench_tps)} tps: ratio ${n(r.ratio, 2)} / ${n(r.ratio_pool, 2)} / ${n(r.ratio_no_pool, 2)}`,
    goal: 'ratio ≥ 1.0, mix and each half',
    met: r.ratio >= 1 && r.ratio_pool >= 1 && r.ratio_no_pool >= 1,
  }),
  function: (r) => ({
    measured: `the SQL function driven by pgbench, ${r.clients} clients: pool ${n(r.pool_tps)} tps, no-pool ${n(r.no_pool_tps)} tps; CPU per transaction ${n(r.pool?.cpu_us_per_transaction)} / ${n(r.no_pool?.cpu_us_per_transaction)} µs`,
    baseline: `tpcb-like ${n(r.tpcb_tps)} tps, ${n(r.tpcb?.cpu_us_per_transaction)} µs: ratio ${n(r.ratio_pool, 2)} / ${n(r.ratio_no_pool, 2)}`,
    goal: 'pool and no-pool ≥ tpcb',
    met: r.ratio_pool >= 1 && r.ratio_no_pool >= 1,
  }),
  pipeline: (r) => ({
    measured: `${n(r.events_per_s)} events/s (groups of up to ${r.batch_size}), PostgreSQL ${n(r.throughput?.load?.cpu_ms_per_event?.postgres, 2)} ms CPU per event; paced ${n(r.paced_rate)}/s: p50 ${n(r.e2e_ms?.p50)} ms, p99 ${n(r.e2e_ms?.p99)} ms`,
    baseline: `engine ${n(r.engine_requests_per_s)} requests/s: ratio ${n(r.ratio, 2)}`,
    goal: 'ratio ≥ 2.0; PostgreSQL ≤ 1.2 ms CPU per event; paced p99 < 50 ms; 1,000/s sustained',
    met: r.ratio >= 2 && r.throughput?.load?.cpu_ms_per_event?.postgres <= 1.2 && r.e2e_ms?.p99 < 50 && r.events_per_s >= 1000,
  }),
  api: (r) => ({
    measured: `paced ${n(r.paced_rate)}/s: p50 ${n(r.p50_ms, 1)} ms, p99 ${n(r.p99_ms, 1)} ms; saturated ${n(r.saturated_api_rps)} requests/s`,
    baseline: `bare node:http: p99 ${n(r.bare_paced_p99_ms, 1)} ms, saturated ${n(r.saturated_bare_rps)}/s: ratio ${n(r.ratio, 2)}`,
    goal: 'p99 < 5 ms; ratio ≥ 0.5',
    met: r.p99_ms < 5 && r.ratio >= 0.5,
  }),
  import: (r) => ({
    measured: `${n(r.rows)} codes in ${n(r.import_seconds, 1)} s; peak RSS ${n(r.peak_rss_mb)} MB`,
    baseline: `\`\\copy\` into the real pool table ${n(r.copy_seconds_real_table, 1)} s: ratio ${n(r.ratio, 2)}`,
    goal: 'ratio ≥ 0.9; RSS < 200 MB at 10,000,000',
    met: r.ratio >= 0.9 && r.peak_rss_mb < 200 && r.rows >= 10_000_000,
  }),
  health: (r) => ({
    measured: `\`pool health --json\` process ${n(r.cli_ms_p50)} ms (query ${n(r.query_ms_p50)} ms), ${n(r.codes)} codes`,
    baseline: `\`node -e 0\` ${n(r.node_baseline_ms_p50)} ms`,
    goal: 'whole process < 150 ms',
    met: r.cli_ms_p50 < 150,
  }),
  start: (r) => ({
    measured: `\`--help\` ${n(r.commands?.find((c) => c.command === '--help')?.wall_ms_p50)} ms; \`pool health --json\` ${n(r.pool_health_json_ms)} ms (demo data); slowest \`${r.slowest}\``,
    baseline: `\`node -e 0\` ${n(r.node_ms_p50)} ms: \`--help\` ${n(r.help_over_node, 2)}×`,
    goal: '`--help` ≤ 2×; `pool health --json` < 150 ms',
    met: r.help_over_node <= 2 && r.pool_health_json_ms < 150,
  }),
  profile: (r) => ({
    measured: `${n(r.redemption?.wal_bytes)} WAL bytes, ${n(r.redemption?.statements, 1)} statements per redemption`,
    baseline: `tpcb-like ${n(r.tpcb?.wal_bytes)} WAL bytes: ${n(r.wal_ratio, 1)}×`,
    goal: 'toward 1× (the cuts: docs/engine.md)',
    met: r.wal_ratio <= 1.5,
  }),
};

function latest(lines) {
  const chosen = new Map();
  for (const record of lines) {
    if (!ROWS[record.bench]) continue;
    const key = record.bench === 'pipeline' && record.batch_size === 1 ? 'pipeline (one event per transaction)' : record.bench;
    chosen.set(key, record);
  }
  return chosen;
}

const load = (r) => (r.load_start && r.load_end ? `${n(r.load_start[0], 1)} → ${n(r.load_end[0], 1)}` : '?');

const records = readFileSync(`${root}bench/results.jsonl`, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));
const rows = [...latest(records)].map(([name, r]) => {
  const row = ROWS[r.bench](r);
  return `| \`${name}\` | ${row.measured} | ${row.baseline} | ${row.goal} | ${yes(row.met)} | ${r.at.slice(0, 16).replace('T', ' ')} \`${r.commit}\`, load ${load(r)} |`;
});
const table = [
  '| benchmark | measured | baseline, same run | goal | | run (UTC), load |',
  '|---|---|---|---|---|---|',
  ...rows,
].join('\n');

const readme = readFileSync(`${root}README.md`, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} section`);
writeFileSync(`${root}README.md`, `${readme.slice(0, from + START.length)}\n${table}\n${readme.slice(to)}`);
process.stdout.write(`${table}\n`);
