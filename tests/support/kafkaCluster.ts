import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { BIN, REPO_ROOT, TEST_HOME } from './cliHarness.js';
import { pollUntil } from './workerHarness.js';

// A three-node Kafka cluster (scripts/kafka-broker.js startCluster: KRaft, each node broker and
// controller, one static quorum of three voters) for the failover test, and `redeemctl serve` as
// a child process. Every JVM is SIGKILLed when the test process exits without stopping them.

/** One node of the cluster, as startCluster's handles are (the parts used here). */
export interface ClusterNode {
  nodeId: number;
  pid: number;
  brokers: string;
  restart(opts?: { signal?: 'SIGKILL' | 'SIGTERM'; downMs?: number; timeoutMs?: number }): Promise<unknown>;
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface KafkaCluster {
  brokers: string;
  nodes: ClusterNode[];
  startupMs: number;
}

interface ClusterModule {
  startCluster(opts: { nodes: number; killOnExit: boolean; heap?: string }): Promise<KafkaCluster>;
  isAlive(pid: number): boolean;
}
// scripts/ is plain JavaScript: a computed specifier keeps tsc from resolving it
const brokerModuleUrl = new URL('../../scripts/kafka-broker.js', import.meta.url).href;

export async function startTestCluster(nodes = 3): Promise<KafkaCluster> {
  const { startCluster } = (await import(brokerModuleUrl)) as ClusterModule;
  return startCluster({ nodes, killOnExit: true, heap: '320m' });
}

/** Stops every node by its pid (SIGTERM, SIGKILL after 5 s), whatever state each is in. */
export async function stopTestCluster(cluster: KafkaCluster | undefined): Promise<void> {
  if (!cluster) return;
  const results = await Promise.allSettled(cluster.nodes.map((n) => n.stop({ timeoutMs: 5_000 })));
  const { isAlive } = (await import(brokerModuleUrl)) as ClusterModule;
  const alive = cluster.nodes.filter((n) => isAlive(n.pid));
  for (const n of alive) process.kill(n.pid, 'SIGKILL');
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** The node id leading `partition` of `topic` (-1 while none does). */
export async function leaderOf(admin: Admin, topic: string, partition = 0): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
}

/** Waits until every partition of `topic` has a leader and all `replicas` in sync. */
export async function waitFullyReplicated(admin: Admin, topic: string, replicas: number, timeoutMs = 60_000): Promise<void> {
  await pollUntil(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
      const partitions = topics[0]?.partitions ?? [];
      return partitions.length > 0 && partitions.every((p) => p.leader >= 0 && p.isr.length === replicas);
    },
    { timeoutMs, intervalMs: 200, what: `every partition of ${topic} with ${replicas} replicas in sync` },
  );
}

/** `redeemctl serve --port 0 --log-format json` as a child process; `url` once it listens. */
export class ServeProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(args: string[], env: Record<string, string>): ServeProcess {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-format', 'json', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new ServeProcess(child);
  }

  /** The API's address, from its "Listening on" log line. */
  async url(timeoutMs = 30_000): Promise<string> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    const port = await pollUntil(
      () => {
        const line = this.stdout.split('\n').find((l) => l.includes('Listening on'));
        if (!line && exited) throw new Error(`serve exited before listening:\n${this.stdout}\n${this.stderr}`);
        return line ? (JSON.parse(line) as { port: number }).port : undefined;
      },
      { timeoutMs, what: 'serve to listen' },
    );
    return `http://127.0.0.1:${port}`;
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
