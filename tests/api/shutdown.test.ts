import * as net from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runServe } from '../../src/api/serve.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { brokerAddress, openStream, useApi, type StreamClient } from '../support/apiHarness.js';
import { runInProcess } from '../support/cliHarness.js';
import { TEST_TOKEN_ENV, bearer, signToken } from '../support/jwt.js';
import { randomUUID } from 'node:crypto';

// A stop is bounded (serve --shutdown-timeout): with the database black-holed under it (packets
// swallowed, connections open, no error ever), SIGTERM still ends serve, with exit 3 and a line
// saying what it gave up on.

const api = useApi({ topicPrefix: 'api-shutdown' });

/** A TCP proxy to PostgreSQL that can be frozen: connections stay open, nothing passes any more. */
class FreezingProxy {
  private frozen = false;
  readonly sockets = new Set<net.Socket>();
  private constructor(readonly server: net.Server) {}
  static async start(): Promise<FreezingProxy> {
    const server = net.createServer();
    const proxy = new FreezingProxy(server);
    server.on('connection', (client) => proxy.forward(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }
  freeze(): void {
    this.frozen = true;
  }
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  private forward(client: net.Socket): void {
    const upstream = net.connect(5432, '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(from);
      from.on('error', () => {});
      from.on('data', (chunk) => void (!this.frozen && to.write(chunk)));
      from.on('close', () => to.destroy());
    }
  }
}

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

describe('serve --shutdown-timeout', () => {
  it('a black-holed database cannot hold the stop: exit 3 within the timeout (plus generous slack)', async () => {
    const proxy = await FreezingProxy.start();
    cleanup.push(() => proxy.close());
    const url = new URL(api().handle.url!);
    url.host = `127.0.0.1:${proxy.port}`;
    let database: Database | undefined;
    let stdout = '';
    const running = runServe({
      io: { stdout: { write: (chunk: string) => (stdout += chunk) }, stderr: { write: () => true }, env: { ...TEST_TOKEN_ENV } } as never,
      openDatabase: async () => (database = await openDatabase({ url: url.toString(), poolSize: 2 })),
      closeDatabase: async () => database?.close(),
      port: 0,
      host: '127.0.0.1',
      metricsPort: undefined,
      logFormat: 'json',
      brokers: brokerAddress(),
      topic: api().tap.topic,
      shutdownTimeoutMs: 2_000,
    });
    let client: StreamClient | undefined;
    let code: number | undefined;
    try {
      const port = await vi.waitFor(
        () => {
          const line = stdout.split('\n').find((l) => l.includes('Listening on'));
          if (!line) throw new Error(`not listening yet: ${stdout}`);
          return (JSON.parse(line) as { port: number }).port;
        },
        { timeout: 20_000, interval: 50 },
      );
      // a live stream: the feed holds a LISTEN connection and a registration to remove at the stop
      client = await openStream(`http://127.0.0.1:${port}/redemptions/stream`, bearer(await signToken({ sub: randomUUID(), merchant_id: randomUUID() })));
      await vi.waitFor(() => expect(client!.comments).toContain('listening'), { timeout: 5_000 });
      proxy.freeze();
    } finally {
      process.emit('SIGTERM');
      const started = Date.now();
      code = await Promise.race([running, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref())]);
      expect(Date.now() - started, 'bounded').toBeLessThan(30_000);
      client?.close();
    }
    expect(code).toBe(3);
    expect(stdout).toMatch(/did not finish within 2 s/);
  }, 60_000);

  it('a --shutdown-timeout that is not a duration is exit 2', async () => {
    const r = await runInProcess(['serve', '--shutdown-timeout', 'soon'], { env: { ...TEST_TOKEN_ENV } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shutdown-timeout/);
  });
});
