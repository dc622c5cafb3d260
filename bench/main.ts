import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureEngine } from './engine.js';
import { round } from './workload.js';

// `npm run bench -- NAME`: each benchmark logs progress on stderr and prints one JSON object as
// its last stdout line, with its same-run baseline and the ratio docs/benchmarks.md sets a goal for.

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const BENCHES: Record<string, () => Promise<object>> = {
  async engine() {
    return (await import('./engine.js')).engineBench(log);
  },
  async import() {
    return (await import('./importBench.js')).importBench(log);
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
  async start() {
    return (await import('./startBench.js')).measureStart(log);
  },
  async function() {
    return (await import('./functionBench.js')).measureFunction(log);
  },
  async profile() {
    return (await import('./profileBench.js')).measureProfile(log);
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
  const loadAtStart = loadavg();
  const result = await bench();
  const record = {
    ...result,
    at: new Date().toISOString(),
    commit: currentCommit(),
    node: process.version,
    cores: cpus().length,
    load_start: loadAtStart.map((l) => round(l)),
    load_end: loadavg().map((l) => round(l)),
  };
  const line = JSON.stringify(record);
  // Every run is kept, so the README's figures come from measured runs and can be compared with
  // earlier ones (docs/benchmarks.md, "Results").
  appendFileSync(RESULTS, line + '\n');
  process.stdout.write(line + '\n');
}

const RESULTS = fileURLToPath(new URL('./results.jsonl', import.meta.url));

/** The commit measured, with `+dirty` when the working tree has changes. */
function currentCommit(): string {
  const run = (args: string[]) => spawnSync('git', args, { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const head = run(['rev-parse', '--short', 'HEAD']).stdout.trim() || 'unknown';
  return run(['status', '--porcelain', '--untracked-files=no']).stdout.trim() ? `${head}+dirty` : head;
}

await main();
