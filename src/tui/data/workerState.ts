import type { WorkerReport } from './snapshot.js';

// The worker's state from its Prometheus endpoint (`redeemctl worker --metrics-port`): the
// series src/worker/workerMetrics.ts defines, read from the text format. Nothing else is parsed.

export async function fetchWorkerState(url: string, timeoutMs: number): Promise<WorkerReport> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new Error(`${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause: error });
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return parseWorkerMetrics(url, await response.text());
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** `name{a="x",b="y"} 12` lines; comments and blank lines skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line.trim());
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export function parseWorkerMetrics(url: string, text: string): WorkerReport {
  const samples = parsePrometheusText(text);
  const named = (name: string) => samples.filter((s) => s.name === name);
  const sum = (name: string) => named(name).reduce((total, s) => total + s.value, 0);
  const up = named('redeemctl_worker_up')[0];
  const processed: Record<string, number> = {};
  for (const s of named('redeemctl_worker_events_processed_total')) processed[s.labels.outcome ?? 'unknown'] = s.value;
  return {
    url,
    up: up === undefined ? null : up.value === 1,
    processed,
    failures: sum('redeemctl_worker_failures_total'),
    retries: sum('redeemctl_worker_retries_total'),
    lag: named('redeemctl_worker_consumer_lag')
      .map((s) => ({ partition: Number(s.labels.partition), lag: s.value }))
      .sort((a, b) => a.partition - b.partition),
  };
}
