import { readFileSync } from 'node:fs';

/**
 * CPU seconds of the whole machine, all cores and every process, from /proc/stat: `busy` is all
 * but idle and iowait, `total` all of it. Null off Linux. The benchmarks read it before and after
 * a phase (the machine's cores are what a 2-core run runs out of).
 */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    const hz = 100;
    return { busy: (total - idle) / hz, total: total / hz };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of one process, from /proc/<pid>/stat; null when unreadable. */
export function processCpu(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
