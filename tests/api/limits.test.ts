import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier } from '../../src/api/auth.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import type { Database } from '../../src/db/database.js';
import { createLogger } from '../../src/shared/logger.js';
import { call, openStream, useApi, type StreamClient } from '../support/apiHarness.js';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, bearer, signToken } from '../support/jwt.js';

// Live streams are bounded, per member and in total (429 over the cap), the server caps its
// connections, and /healthz answers from a short-lived cached probe rather than taking a pool
// connection per call.

const api = useApi({ topicPrefix: 'api-limits' });
const verifier = createVerifier('HS256', new TextEncoder().encode(TEST_SECRET), { issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
const quiet = createLogger('text', { write: () => true });
const merchant = randomUUID();
const open: StreamClient[] = [];
const sockets: Socket[] = [];
const servers: ApiServer[] = [];

afterEach(() => {
  for (const client of open.splice(0)) client.close();
  for (const socket of sockets.splice(0)) socket.destroy();
});

afterAll(async () => {
  for (const server of servers) await server.close();
});

async function serverWith(options: Record<string, unknown>, database: Database = api().handle.database): Promise<string> {
  const server = await startApiServer({ port: 0, database, publisher: api().publisher, verifier, logger: quiet, ...options });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

async function stream(url: string, token: string): Promise<StreamClient> {
  const client = await openStream(`${url}/redemptions/stream`, bearer(token));
  open.push(client);
  if (client.status === 200) await vi.waitFor(() => expect(client.comments).toContain('listening'), { timeout: 5_000 });
  return client;
}

describe('stream limits', () => {
  let url: string;
  let alice: string;
  let bob: string;
  let carol: string;
  beforeAll(async () => {
    url = await serverWith({ maxStreamsPerMember: 2, maxStreams: 3 });
    const [a, b, c] = await Promise.all([randomUUID(), randomUUID(), randomUUID()].map((sub) => signToken({ sub, merchant_id: merchant })));
    [alice, bob, carol] = [a!, b!, c!];
  });

  it('429 with a JSON error over the per-member cap, then over the total cap; a closed stream frees its slot', async () => {
    const a1 = await stream(url, alice);
    await stream(url, alice);
    expect(a1.status).toBe(200);
    const third = await call(`${url}/redemptions/stream`, { headers: bearer(alice) });
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ success: false, error: expect.stringMatching(/too many open streams for this member \(limit 2\)/) });
    expect(third.headers.get('retry-after')).toBeTruthy();

    expect((await stream(url, bob)).status).toBe(200);
    const full = await call(`${url}/redemptions/stream`, { headers: bearer(carol) });
    expect(full.status).toBe(429);
    expect(full.body).toEqual({ success: false, error: expect.stringMatching(/too many open streams on this server \(limit 3\)/) });

    a1.close();
    await vi.waitFor(async () => expect((await stream(url, carol)).status).toBe(200), { timeout: 5_000, interval: 100 });
  });

  it('refusals take no slot: after 20 of them, one closed stream lets exactly one more in', async () => {
    const own = await serverWith({ maxStreamsPerMember: 2, maxStreams: 100 });
    const dave = await signToken({ sub: randomUUID(), merchant_id: merchant });
    const d1 = await stream(own, dave);
    expect(d1.status).toBe(200);
    expect((await stream(own, dave)).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await stream(own, dave)).status).toBe(429);
    d1.close();
    await vi.waitFor(async () => expect((await stream(own, dave)).status).toBe(200), { timeout: 5_000, interval: 100 });
    expect((await stream(own, dave)).status).toBe(429);
  });
});

describe('server.maxConnections', () => {
  it('connections beyond the cap are closed at once; a freed one lets the next in', async () => {
    const url = await serverWith({ maxConnections: 3 });
    const port = Number(new URL(url).port);
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    sockets.pop()!.destroy();
    await vi.waitFor(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), { timeout: 5_000, interval: 100 });
  });
});

describe('/healthz', () => {
  it('50 concurrent and 50 more calls within one cache period take one pool connection, not one each', async () => {
    let probes = 0;
    const real = api().handle.database;
    const counting = new Proxy(real, {
      get(target, property) {
        if (property === 'withConnection') {
          return (...args: Parameters<Database['withConnection']>) => {
            probes++;
            return target.withConnection(...args);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Database;
    // a cache period longer than the test, so the count does not depend on how loaded the machine is
    const url = await serverWith({ healthCacheMs: 120_000 }, counting);
    const answers = await Promise.all(Array.from({ length: 50 }, () => call(`${url}/healthz`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 50; i++) expect((await call(`${url}/healthz`)).status).toBe(200);
    expect(probes).toBe(1);
  });
});
