import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Timing a child process from outside: wall clock, and its own CPU through GNU time. Used by the
// benchmarks that measure whole commands (health, start).

export const BIN = fileURLToPath(new URL('../bin/redeemctl.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export interface ChildTime {
  wallMs: number;
  /** user + system CPU of the child (GNU time), or null where /usr/bin/time is missing */
  cpuMs: number | null;
}

/** One child process, timed by wall clock and, through GNU time, by its own CPU. */
export function timeChild(args: string[], env: NodeJS.ProcessEnv): ChildTime {
  const timed = existsSync(GNU_TIME);
  const out = join(tmpdir(), `redeemctl-bench-${process.pid}.time`);
  const [command, argv] = timed ? [GNU_TIME, ['-f', '%U %S', '-o', out, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const child = spawnSync(command, argv, { env, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (child.status !== 0 && child.status !== 1) throw new Error(`${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  if (!timed) return { wallMs, cpuMs: null };
  const [user, system] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(out, { force: true });
  return { wallMs, cpuMs: (user! + system!) * 1000 };
}

