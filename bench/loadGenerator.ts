import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

// An HTTP load generator in Node for the `api` benchmark (bench/apiBench.ts), so the bench
// needs nothing the project does not install (no wrk, no autocannon). It runs in its own process
// (LoadGenerator.start() forks this file), never on the event loop of the server it measures.
//
// - paced (open loop): request i is due at start + i/rate and is sent then, whatever happened to
//   the earlier ones; its latency runs from that scheduled time to the last byte of the answer,
//   so a stall of the server (or of this process) counts against every request it delayed
//   instead of hiding them (no coordinated omission). How late this process itself sent each
//   request is reported apart (send_lag_ms).
// - closed (saturated): `connections` callers, each sending its next request when its last one
//   was answered, for `durationS`; the answers per second are the server's saturated rate. By
//   default over raw keep-alive sockets (client: 'raw'): requests serialised once, answers read by
//   Content-Length. node:http's client costs more CPU per request than a bare node:http server
//   (measured here: the node:http generator saturated a bare server at ~10k req/s using more CPU
//   than the server, wrk at ~20k), so with it the baseline would measure the client.
//
// Requests come from a list prepared by the caller (tokens, bodies), used round-robin.

export interface RequestSpec {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface PacedJob {
  kind: 'paced';
  url: string;
  rate: number;
  durationS: number;
  requests: RequestSpec[];
  /** Answers later than this after the last send count as `timeout` errors. */
  drainMs?: number;
}

export interface ClosedJob {
  kind: 'closed';
  url: string;
  connections: number;
  durationS: number;
  requests: RequestSpec[];
  /** 'raw' (default): net sockets, Content-Length framing only; 'http': node:http with the keep-alive agent. */
  client?: 'raw' | 'http';
}

export type LoadJob = PacedJob | ClosedJob;

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  kind: LoadJob['kind'];
  /** Requests sent (paced: all scheduled ones; closed: all started). */
  sent: number;
  /** Answers received (any status). */
  completed: number;
  /** Answers per second over the measured window (closed: completions within durationS). */
  rps: number;
  seconds: number;
  statuses: Record<string, number>;
  /** Transport errors by code (ECONNRESET, timeout, …): none is the goal. */
  errors: Record<string, number>;
  latency_ms: Percentiles;
  /** Paced only: how late this process sent each request against its schedule. */
  send_lag_ms?: Percentiles;
  /**
   * Paced only: from the actual send to the answer, i.e. without this process's own lateness.
   * Not the measurement (it hides the requests a stall delayed): a way to tell a starved
   * generator from a slow server.
   */
  latency_from_send_ms?: Percentiles;
  /** This process's CPU use during the job (cores) and its event-loop delay beyond the 10 ms timer. */
  generator: { cores: number; loop_delay_p99_ms: number; loop_delay_max_ms: number; sockets: number };
}

const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p95: NaN, p99: NaN, p999: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: round(sorted[sorted.length - 1]!) };
}

// ------------------------------------------------------------------------------------------------
// the child side

const agents = new Map<string, Agent>();

/**
 * One keep-alive agent per target, kept across jobs so a warm-up's connections are reused. Idle
 * sockets are dropped after 2 s, well before node:http's server closes them (keepAliveTimeout,
 * 5 s): reusing a socket the server is closing at that moment is a client-side ECONNRESET (seen
 * here: 16 of 10,000 in one paced run, with the agent following the server's 5 s hint).
 */
function agentFor(url: string): Agent {
  let agent = agents.get(url);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', timeout: 2_000 });
    agents.set(url, agent);
  }
  return agent;
}

function socketCount(agent: Agent): number {
  let n = 0;
  for (const list of Object.values(agent.sockets)) n += list?.length ?? 0;
  for (const list of Object.values(agent.freeSockets)) n += list?.length ?? 0;
  return n;
}

interface Prepared {
  spec: RequestSpec;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

function prepare(specs: RequestSpec[]): Prepared[] {
  if (specs.length === 0) throw new Error('no requests to send');
  return specs.map((spec) => {
    const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
    return { spec, body, headers: { ...spec.headers, ...(body && { 'content-length': String(body.length) }) } };
  });
}

/** Sends one request; calls back once with the status (or the error code) when the answer ended. */
function send(target: URL, agent: Agent, p: Prepared, done: (status: number | string) => void): void {
  let finished = false;
  const finish = (outcome: number | string) => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  const req = request(
    { host: target.hostname, port: target.port, method: p.spec.method, path: p.spec.path, headers: p.headers, agent },
    (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'response error'));
    },
  );
  req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  req.end(p.body);
}

function meter() {
  const cpu = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  return (agent: Agent | number) => {
    loop.disable();
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - t0) / 1000;
    return {
      cores: round((used.user + used.system) / 1e6 / seconds),
      loop_delay_p99_ms: round(Math.max(0, loop.percentile(99) / 1e6 - 10)),
      loop_delay_max_ms: round(Math.max(0, loop.max / 1e6 - 10)),
      sockets: typeof agent === 'number' ? agent : socketCount(agent),
    };
  };
}

const bump = (counts: Record<string, number>, key: string | number) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export async function runPaced(job: PacedJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const agent = agentFor(job.url);
  const prepared = prepare(job.requests);
  const total = Math.round(job.rate * job.durationS);
  const intervalMs = 1000 / job.rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  const fromSend: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let completed = 0;
  let next = 0;
  const end = meter();
  const start = performance.now() + 5;

  await new Promise<void>((resolve) => {
    let settledAll: (() => void) | undefined;
    const onDone = (scheduled: number, sentAt: number) => (outcome: number | string) => {
      const now = performance.now();
      latencies.push(now - scheduled);
      fromSend.push(now - sentAt);
      completed++;
      if (typeof outcome === 'number') bump(statuses, outcome);
      else bump(errors, outcome);
      if (completed === total) settledAll?.();
    };
    const tick = () => {
      const now = performance.now();
      // everything that is due goes now: a late timer sends a burst, as an open-loop client must
      while (next < total) {
        const scheduled = start + next * intervalMs;
        if (scheduled > now) break;
        lags.push(now - scheduled);
        send(target, agent, prepared[next % prepared.length]!, onDone(scheduled, now));
        next++;
      }
      if (next < total) {
        setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
        return;
      }
      // all sent: wait for the answers, at most drainMs
      if (completed === total) return resolve();
      const timer = setTimeout(() => {
        settledAll = undefined;
        resolve();
      }, job.drainMs ?? 15_000);
      settledAll = () => {
        clearTimeout(timer);
        resolve();
      };
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });

  const generator = end(agent);
  const seconds = job.durationS;
  if (completed < total) errors.timeout = (errors.timeout ?? 0) + (total - completed);
  return {
    kind: 'paced',
    sent: total,
    completed,
    rps: round(completed / seconds, 1),
    seconds,
    statuses,
    errors,
    latency_ms: percentiles(latencies),
    send_lag_ms: percentiles(lags),
    latency_from_send_ms: percentiles(fromSend),
    generator,
  };
}

export function runClosed(job: ClosedJob): Promise<LoadResult> {
  return job.client === 'http' ? runClosedHttp(job) : runClosedRaw(job);
}

async function runClosedHttp(job: ClosedJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const agent = agentFor(job.url);
  const prepared = prepare(job.requests);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let inWindow = 0;
  const end = meter();
  const started = performance.now();
  const deadline = started + job.durationS * 1000;

  const caller = () =>
    new Promise<void>((resolve) => {
      const loop = () => {
        if (performance.now() >= deadline) return resolve();
        const t0 = performance.now();
        const p = prepared[sent++ % prepared.length]!;
        send(target, agent, p, (outcome) => {
          const t1 = performance.now();
          latencies.push(t1 - t0);
          completed++;
          if (t1 <= deadline) inWindow++;
          if (typeof outcome === 'number') bump(statuses, outcome);
          else bump(errors, outcome);
          // a transport error ends this caller's turn without a tight retry loop
          if (typeof outcome === 'number') loop();
          else setTimeout(loop, 10);
        });
      };
      loop();
    });
  await Promise.all(Array.from({ length: job.connections }, caller));
  const seconds = (performance.now() - started) / 1000;
  return {
    kind: 'closed',
    sent,
    completed,
    rps: round(inWindow / job.durationS, 1),
    seconds: round(seconds),
    statuses,
    errors,
    latency_ms: percentiles(latencies),
    generator: end(agent),
  };
}

/** A request as the bytes on the wire, HTTP/1.1 keep-alive. */
function serialise(spec: RequestSpec, host: string): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const headers = { host, ...spec.headers, ...(body && { 'content-length': String(body.length) }) };
  const head = `${spec.method} ${spec.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection that sends a request, reads its answer (status line, Content-Length,
 * body: the servers here answer nothing else) and calls back; no pipelining.
 */
class RawConnection {
  private socket: Socket | undefined;
  private buffer: Buffer | null = null;
  private pending: ((outcome: number | string) => void) | null = null;

  constructor(
    private readonly port: number,
    private readonly host: string,
  ) {}

  private open(): Socket {
    const socket = connect({ port: this.port, host: this.host, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (why: string) => {
      if (this.socket === socket) this.socket = undefined;
      this.buffer = null;
      const pending = this.pending;
      this.pending = null;
      pending?.(why);
    };
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.on('close', () => fail('closed'));
    this.socket = socket;
    return socket;
  }

  send(bytes: Buffer, done: (outcome: number | string) => void): void {
    this.pending = done;
    (this.socket ?? this.open()).write(bytes);
  }

  private onData(chunk: Buffer): void {
    let buf = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) break;
      const head = buf.toString('latin1', 0, end);
      if (/\r\ntransfer-encoding:/i.test(head)) {
        this.socket?.destroy(new Error('chunked answers are not supported by the raw client'));
        return;
      }
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const total = end + 4 + length;
      if (buf.length < total) break;
      const status = Number(head.slice(9, 12));
      const closing = /\r\nconnection: *close/i.test(head);
      buf = buf.subarray(total);
      const pending = this.pending;
      this.pending = null;
      if (closing) {
        const socket = this.socket;
        this.socket = undefined;
        socket?.removeAllListeners('close');
        socket?.destroy();
      }
      pending?.(status);
      if (buf.length === 0) break;
    }
    this.buffer = buf.length > 0 ? buf : null;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

async function runClosedRaw(job: ClosedJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const requests = job.requests.map((spec) => serialise(spec, target.host));
  if (requests.length === 0) throw new Error('no requests to send');
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let inWindow = 0;
  const end = meter();
  const connections = Array.from({ length: job.connections }, () => new RawConnection(Number(target.port), target.hostname));
  const started = performance.now();
  const deadline = started + job.durationS * 1000;

  await Promise.all(
    connections.map(
      (connection) =>
        new Promise<void>((resolve) => {
          const loop = () => {
            if (performance.now() >= deadline) return resolve();
            const t0 = performance.now();
            connection.send(requests[sent++ % requests.length]!, (outcome) => {
              const t1 = performance.now();
              latencies.push(t1 - t0);
              completed++;
              if (t1 <= deadline) inWindow++;
              if (typeof outcome === 'number') {
                bump(statuses, outcome);
                loop();
              } else {
                bump(errors, outcome);
                setTimeout(loop, 10);
              }
            });
          };
          loop();
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const generator = end(connections.length);
  for (const connection of connections) connection.close();
  return {
    kind: 'closed',
    sent,
    completed,
    rps: round(inWindow / job.durationS, 1),
    seconds: round(seconds),
    statuses,
    errors,
    latency_ms: percentiles(latencies),
    generator,
  };
}

type ToChild = { type: 'run'; id: number; job: LoadJob } | { type: 'exit' };
type FromChild = { type: 'result'; id: number; result: LoadResult } | { type: 'failed'; id: number; error: string };

function serveParent(): void {
  process.on('message', (message: ToChild) => {
    if (message.type === 'exit') {
      for (const agent of agents.values()) agent.destroy();
      process.disconnect();
      return;
    }
    const run = message.job.kind === 'paced' ? runPaced(message.job) : runClosed(message.job);
    run.then(
      (result) => process.send!({ type: 'result', id: message.id, result } satisfies FromChild),
      (error: unknown) => process.send!({ type: 'failed', id: message.id, error: String((error as Error)?.stack ?? error) } satisfies FromChild),
    );
  });
  // the bench went away (crashed, killed): so does its load generator
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------------------------------------
// the parent side

/** The load generator as a child process: run jobs one at a time, close when done. */
export class LoadGenerator {
  private nextId = 1;
  private waiting = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    // a send to a process that just died fails through its callback, not as a crash
    child.on('error', () => {});
    child.on('message', (message: FromChild) => {
      const w = this.waiting.get(message.id);
      if (!w) return;
      this.waiting.delete(message.id);
      if (message.type === 'result') w.resolve(message.result);
      else w.reject(new Error(`load generator: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load generator exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const child = fork(fileURLToPath(import.meta.url), ['--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return new LoadGenerator(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ type: 'run', id, job } satisfies ToChild, (error) => {
        if (!error) return;
        this.waiting.delete(id);
        reject(error);
      });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToChild, () => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (a process 'exit' hook). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

if (process.argv.includes('--load-generator') && process.send) serveParent();
