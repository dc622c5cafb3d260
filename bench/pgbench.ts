import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dropDatabase, recreateDatabase } from './scratch.js';

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  clients: number;
  seconds: number;
  command: string;
}

/**
 * `use` on a fresh scratch database holding pgbench's tables at scale 10 (`pgbench -i`), dropped
 * afterwards, also on failure. Every benchmark that compares with tpcb-like starts here.
 */
export async function withTpcbDatabase<T>(name: string, use: (url: string) => Promise<T>): Promise<T> {
  const url = await recreateDatabase(name);
  try {
    await run('pgbench', ['-i', '-q', '-s', '10', url], { maxBuffer: 16 << 20 });
    return await use(url);
  } finally {
    await dropDatabase(name);
  }
}

/**
 * The machine's own yardstick: pgbench's built-in tpcb-like script (5 statements, 3 updates, one
 * transaction) on a scratch database, run right before the measured workload.
 */
export function pgbenchBaseline(clients = 8, seconds = 10): Promise<PgbenchResult> {
  return withTpcbDatabase('redeemctl_bench_pgbench', async (url) => {
    const args = ['-b', 'tpcb-like', '-c', String(clients), '-j', String(Math.min(clients, 4)), '-T', String(seconds), url];
    const { stdout } = await run('pgbench', args, { maxBuffer: 16 << 20 });
    const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
    if (!match) throw new Error(`could not read tps from pgbench output:\n${stdout}`);
    return { tps: Number(match[1]), clients, seconds, command: `pgbench ${args.slice(0, -1).join(' ')} <scratch db>` };
  });
}
