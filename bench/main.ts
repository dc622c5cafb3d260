import { pgbenchBaseline } from './pgbench.js';
import { measureEngine } from './engine.js';
import { round } from './workload.js';

// `npm run bench -- NAME`: each benchmark logs progress on stderr and prints one JSON object as
// its last stdout line, with its same-run baseline and the ratio docs/benchmarks.md sets a goal for.

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const BENCHES: Record<string, () => Promise<object>> = {
  async engine() {
    log('baseline: pgbench tpcb-like, 8 clients, 10 s');
    const baseline = await pgbenchBaseline(8, 10);
    const run = await measureEngine({ history: false, log });
    return {
      bench: 'engine',
      requests_per_s: run.requestsPerSecond,
      ledger_rows_per_s: run.ledgerRowsPerSecond,
      pgbench_tps: baseline.tps,
      ratio: round(run.requestsPerSecond / baseline.tps, 3),
      goal: 'ratio >= 1.0',
      run,
      baseline,
    };
  },
  async import() {
    // `npm run bench -- import [ROWS]`: 1,000,000 codes unless told otherwise.
    const rows = Number(process.argv[3] ?? 1_000_000);
    const run = await (await import('./importBench.js')).measureImport(rows, log);
    return {
      bench: 'import',
      rows,
      copy_seconds: run.copy_seconds,
      import_seconds: run.import_seconds,
      ratio: round(run.copy_seconds / run.import_seconds, 3),
      peak_rss_mb: run.peak_rss_mb,
      goal: 'ratio >= 0.5, peak_rss_mb < 200',
      floor_seconds: run.floor_seconds,
      floor_ratio: round(run.floor_seconds / run.import_seconds, 3),
      run,
    };
  },
  async scale() {
    const empty = await measureEngine({ history: false, log });
    const full = await measureEngine({ history: true, log });
    return {
      bench: 'scale',
      empty_requests_per_s: empty.requestsPerSecond,
      history_requests_per_s: full.requestsPerSecond,
      ratio: round(full.requestsPerSecond / empty.requestsPerSecond, 3),
      goal: 'ratio >= 0.8',
      empty,
      full,
    };
  },
  async health() {
    return (await import('./healthBench.js')).measureHealth(log);
  },
  async pipeline() {
    return (await import('./pipelineBench.js')).measurePipeline(log);
  },
  async api() {
    return (await import('./apiBench.js')).measureApi(log);
  },
  async claim() {
    return (await import('./claimBench.js')).measureClaimBench(log);
  },
  async cancel() {
    return (await import('./cancelBench.js')).measureCancel(log);
  },
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>\n`);
    process.exitCode = 2;
    return;
  }
  const result = await bench();
  process.stdout.write(JSON.stringify({ ...result, at: new Date().toISOString(), node: process.version }) + '\n');
}

await main();
