import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { readFixtureFile, seed } from '../src/demo/seed.js';
import { packageFile } from '../src/shared/packageFiles.js';
import { BIN, median, timeChild, type ChildTime } from './childTime.js';
import { dropDatabase, recreateDatabase } from './scratch.js';
import { round } from './workload.js';

// The `start` benchmark of docs/benchmarks.md: how long each finite command takes as a whole
// process (node starting, loading the CLI, connecting, one small query, printing), against
// `node -e 0` timed alternately in the same run. The database is the demo fixture on the server,
// so the work itself is a few milliseconds and what is measured is the start. Goals: `--help`
// within 2× `node -e 0`; `pool health --json` under 150 ms (its 5,000,000-code form is the
// `health` benchmark).

const RUNS = 7;

/** Every finite command that needs neither Kafka nor a file, with arguments the demo data answers. */
const COMMANDS: string[][] = [
  ['--help'],
  ['--version'],
  ['redeem', '--help'],
  ['pool', 'health', '--json'],
  ['pool', 'health'],
  ['codes', 'stats'],
  ['codes', 'imports'],
  ['quote', '--user', 'vip@example.com', '--reward', 'COFFEE-MUG', '--json'],
  ['rewards', 'list'],
  ['rewards', 'show', 'COFFEE-MUG'],
  ['members', 'find', 'vip'],
  ['members', 'show', 'vip@example.com'],
  ['redemptions', 'list', '--user', 'vip@example.com'],
  ['batch', 'status'],
  ['metrics', '--json'],
  ['db', 'status'],
];

interface CommandTime {
  command: string;
  wall_ms_p50: number;
  wall_ms_min: number;
  cpu_ms_p50: number | null;
  over_node: number;
}

const cpuMedian = (times: ChildTime[]) => (times.every((t) => t.cpuMs !== null) ? round(median(times.map((t) => t.cpuMs!))) : null);

export async function measureStart(log: (line: string) => void): Promise<object> {
  const name = 'redeemctl_bench_start';
  const url = await recreateDatabase(name);
  try {
    const database = await openDatabase({ url, poolSize: 1 });
    try {
      await migrate(database);
      await seed(database.db, await readFixtureFile(packageFile('fixtures/demo.json')));
    } finally {
      await database.close();
    }
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: url, NO_COLOR: '1' };
    const node: ChildTime[] = [];
    const results: CommandTime[] = [];
    for (const argv of COMMANDS) {
      log(`redeemctl ${argv.join(' ')}: ${RUNS} runs, alternating with node -e 0`);
      timeChild([BIN, ...argv], env); // warm the file cache
      const runs: ChildTime[] = [];
      const nodeHere: ChildTime[] = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(timeChild([BIN, ...argv], env));
        nodeHere.push(timeChild(['-e', '0'], env));
      }
      node.push(...nodeHere);
      const wall = median(runs.map((t) => t.wallMs));
      results.push({
        command: argv.join(' '),
        wall_ms_p50: round(wall),
        wall_ms_min: round(Math.min(...runs.map((t) => t.wallMs))),
        cpu_ms_p50: cpuMedian(runs),
        over_node: round(wall / median(nodeHere.map((t) => t.wallMs))),
      });
    }
    const help = results.find((r) => r.command === '--help')!;
    const health = results.find((r) => r.command === 'pool health --json')!;
    return {
      bench: 'start',
      node_ms_p50: round(median(node.map((t) => t.wallMs))),
      node_cpu_ms_p50: cpuMedian(node),
      help_over_node: help.over_node,
      pool_health_json_ms: health.wall_ms_p50,
      goal: 'help_over_node <= 2, pool_health_json_ms < 150',
      slowest: [...results].sort((a, b) => b.wall_ms_p50 - a.wall_ms_p50)[0]!.command,
      commands: results,
    };
  } finally {
    await dropDatabase(name);
  }
}
