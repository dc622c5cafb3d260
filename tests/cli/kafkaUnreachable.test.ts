import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError, explainKafkaError, KafkaUnreachableError, UsageError } from '../../src/shared/errors.js';
import { ensureDist, REPO_ROOT, runBinary, type CliResult } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// docs/kafka.md, "Kafka unreachable": every command that talks to Kafka, run as the built binary
// against a closed loopback port (bound, then closed), stops within seconds with exit 3 and one
// line naming the brokers and KAFKA_BROKERS / --brokers; kafkajs's own log lines only with --verbose.

/** Well under kafkajs's own ~20 s of retries; the commands take one to two seconds here. */
const FAST_MS = 10_000;
const KAFKAJS_LINE = /^\[kafkajs\]|"logger":\s*"kafkajs"/m;

let handle: TestDatabase;
let env: Record<string, string>;
let closedPort: number;
let brokers: string;

/** A loopback port nothing listens on: bound by us, then closed. */
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function timed(argv: string[], extra: Record<string, string> = {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const result = await runBinary(argv, { ...env, ...extra }, REPO_ROOT);
  return { ...result, ms: Date.now() - started };
}

/** stderr's lines but the `hint:` under the error (src/cli/hints.ts), which each test checks once it is there. */
function errorLines(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  expect(lines.at(-1)).toMatch(/^hint: .*npm run -s kafka:start/);
  return lines.slice(0, -1);
}

function friendlyLine(where = brokers): RegExp {
  const escaped = where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^error: Cannot reach Kafka at ${escaped} \\(connection refused\\)\\. Check KAFKA_BROKERS \\(or --brokers\\) and that the broker is running\\.$`);
}

beforeAll(async () => {
  await ensureDist();
  closedPort = await closedLoopbackPort();
  brokers = `127.0.0.1:${closedPort}`;
  handle = await createServerDatabase({ poolSize: 2 });
  const s = await Scenario.create(handle.database.db, {
    merchant: { name: uniqueName('Kafka Away') },
    users: [
      { email: 'ann@k.test', points: 1_000 },
      { email: 'bob@k.test', points: 0 },
    ],
    rewards: [{ reward_code: 'MUG', name: 'Mug', fallback_points: 10 }],
  });
  // A failed request for `events replay --failed` to publish.
  const refused = await s.redeem('bob@k.test', 'MUG', 1, { eventId: 'kafka-away-1' });
  expect(refused.success).toBe(false);
  env = {
    DATABASE_URL: handle.url!,
    REDEEMCTL_MERCHANT: s.merchantId,
    REDEEMCTL_ACTOR: 'tester',
    NO_COLOR: '1',
    JWT_SECRET: 'kafka-unreachable-test-secret-0123456789abcdef',
    JWT_ISSUER: 'https://auth.redeemctl.test/',
    JWT_AUDIENCE: 'redeemctl-api',
  };
}, 120_000);

afterAll(async () => {
  await handle?.drop();
});

const COMMANDS: Array<[string, string[]]> = [
  // inject and replay reach Kafka only to publish (their preview reads the database alone).
  ['events inject', ['events', 'inject', '--user', 'ann@k.test', '--reward', 'MUG', '--execute', '--reason', 'test']],
  ['events tail', ['events', 'tail', '--limit', '1']],
  ['events replay', ['events', 'replay', '--failed', '--execute', '--reason', 'test']],
  ['events rewind', ['events', 'rewind', '--group', 'some-group', '--to-offset', '0']],
  ['dlq list', ['dlq', 'list']],
  ['dlq redrive', ['dlq', 'redrive']],
  ['worker (at start)', ['worker']],
  ['serve (at start)', ['serve', '--port', '0']],
];

describe('Kafka unreachable (a closed loopback port)', () => {
  it.each(COMMANDS)('%s: exit 3 within seconds, one friendly line (then its hint), no kafkajs log lines', async (_name, argv) => {
    const r = await timed([...argv, '--brokers', brokers]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.ms).toBeLessThan(FAST_MS);
    const lines = errorLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(friendlyLine());
    expect(r.stderr).not.toMatch(KAFKAJS_LINE);
    expect(r.stdout).toBe('');
  });

  it('the same from KAFKA_BROKERS, naming every broker listed', async () => {
    const two = `${brokers},127.0.0.1:${closedPort}`;
    const r = await timed(['dlq', 'list', '--json'], { KAFKA_BROKERS: two });
    expect(r.code, r.stderr).toBe(3);
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(friendlyLine(two))]);
    expect(r.stdout).toBe('');
  });

  it('--verbose shows kafkajs\'s own lines too, and still ends with the friendly line', async () => {
    for (const argv of [['--verbose', 'dlq', 'list'], ['events', 'tail', '--verbose']]) {
      const r = await timed([...argv, '--brokers', brokers]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(FAST_MS);
      expect(r.stderr).toMatch(KAFKAJS_LINE);
      expect(r.stderr).toContain(`ECONNREFUSED 127.0.0.1:${closedPort}`);
      const lines = errorLines(r.stderr);
      expect(lines.at(-1)).toMatch(friendlyLine());
      expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
    }
  });

  it('a server that accepts connections but never answers is unreachable too, within seconds', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const where = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const r = await timed(['dlq', 'list', '--brokers', where]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(FAST_MS);
      const lines = errorLines(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: Cannot reach Kafka at ${where.replace(/\./g, '\\.')} \\(no answer from a Kafka broker within [\\d.]+ s: .+\\)\\. Check KAFKA_BROKERS \\(or --brokers\\)`));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('explainKafkaError', () => {
  /** What kafkajs throws when its retries run out on a refused connection (names and codes as kafkajs sets them). */
  function kafkajsRefused(): Error {
    const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' });
    return Object.assign(new Error(connection.message, { cause: connection }), { name: 'KafkaJSNumberOfRetriesExceeded' });
  }

  it('turns a kafkajs connection failure into one line naming the brokers and the setting', () => {
    const explained = explainKafkaError(kafkajsRefused(), ['127.0.0.1:9', 'b:9092']);
    expect(explained).toBeInstanceOf(KafkaUnreachableError);
    expect(explained).toBeInstanceOf(DependencyError);
    expect((explained as KafkaUnreachableError).exitCode).toBe(3);
    expect((explained as Error).message).toBe(
      'Cannot reach Kafka at 127.0.0.1:9,b:9092 (connection refused). Check KAFKA_BROKERS (or --brokers) and that the broker is running.',
    );
  });

  it('finds an explained error inside a wrapper (as a caller may wrap it), and leaves everything else alone', () => {
    const inner = new KafkaUnreachableError(['k:9092'], 'host not found');
    const wrapped = new DependencyError(`Cannot reach Kafka at k:9092: ${inner.message}.`, { cause: inner });
    expect(explainKafkaError(wrapped)).toBe(inner);
    const usage = new UsageError('bad flag');
    expect(explainKafkaError(usage, ['k:9092'])).toBe(usage);
    const bug = new TypeError('x is undefined');
    expect(explainKafkaError(bug, ['k:9092'])).toBe(bug);
    expect(explainKafkaError(kafkajsRefused())).not.toBeInstanceOf(KafkaUnreachableError);
  });
});
