import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiMetrics } from '../../src/api/apiMetrics.js';
import { AuthError } from '../../src/api/auth.js';
import { HttpError } from '../../src/api/http.js';
import { NotQueuedError, PublishTimeoutError } from '../../src/api/publish.js';
import { createRouter, exact } from '../../src/api/router.js';
import { DependencyError, KafkaUnreachableError, UsageError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { call } from '../support/apiHarness.js';

// src/api/errorStatus.ts, the one table from error class to HTTP answer, through real requests:
// a router whose handlers throw one error each, on a free port. No database or broker needed.

const THROWN: Record<string, () => unknown> = {
  '/invalid': () => new HttpError(400, 'reward_id must be a uuid'),
  '/too-large': () => new HttpError(413, 'body is larger than 16384 bytes', { close: true }),
  '/auth': () => new AuthError('token expired'),
  '/not-queued': () => new NotQueuedError('event e-1 was not acknowledged by Kafka', { cause: new Error('broker gone') }),
  '/publish-timeout': () => new PublishTimeoutError('Kafka did not acknowledge within 5000 ms'),
  '/dependency': () => new DependencyError('Cannot reach the database at postgres://app@db.internal/x: connect ECONNREFUSED'),
  '/kafka-unreachable': () => new KafkaUnreachableError(['k:9092'], 'connection refused'),
  '/connection-lost': () => new Error('Connection terminated unexpectedly'),
  '/deadlock': () => Object.assign(new Error('deadlock detected'), { code: '40P01' }),
  '/usage': () => new UsageError('No member with email x@y.test in this merchant: check --user'),
  '/bug': () => new TypeError("Cannot read properties of undefined (reading 'id')"),
};

const logged: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  const routes = Object.entries(THROWN).map(([path, make]) =>
    exact(path, {
      GET: async () => {
        throw make();
      },
    }),
  );
  const route = createRouter(routes, new ApiMetrics(), createLogger('text', { write: (line: string) => logged.push(line) }));
  server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function answer(path: string) {
  logged.length = 0;
  const got = await call(`${url}${path}`);
  return { status: got.status, body: got.body, headers: got.headers, logged: [...logged] };
}

describe('what the caller got wrong: its status, in the error’s own words, nothing logged', () => {
  it('an HttpError answers its status, message and headers (413 closes the connection)', async () => {
    const invalid = await answer('/invalid');
    expect([invalid.status, invalid.body, invalid.logged]).toEqual([400, { success: false, error: 'reward_id must be a uuid' }, []]);
    const tooLarge = await answer('/too-large');
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('connection')).toBe('close');
  });

  it('an AuthError is 401 with WWW-Authenticate', async () => {
    const auth = await answer('/auth');
    expect([auth.status, auth.body, auth.logged]).toEqual([401, { success: false, error: 'token expired' }, []]);
    expect(auth.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('a route or method that does not exist is 404 / 405, from the router itself', async () => {
    expect((await answer('/nope')).status).toBe(404);
    const wrong = await call(`${url}/bug`, { method: 'POST' });
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET']);
  });
});

describe('a dependency down: 503 with Retry-After, in fixed words', () => {
  it('a request Kafka did not take says it was not queued (its handler logged it already)', async () => {
    const notQueued = await answer('/not-queued');
    expect([notQueued.status, notQueued.body, notQueued.logged]).toEqual([
      503,
      { success: false, error: 'the redemption could not be queued (Kafka unavailable); try again shortly' },
      [],
    ]);
    expect(notQueued.headers.get('retry-after')).toBe('1');
  });

  it.each(['/publish-timeout', '/dependency', '/kafka-unreachable', '/connection-lost', '/deadlock'])(
    '%s: "a dependency is unavailable", its details in a warning only',
    async (path) => {
      const down = await answer(path);
      expect([down.status, down.body]).toEqual([503, { success: false, error: 'a dependency is unavailable; try again shortly' }]);
      expect(down.headers.get('retry-after')).toBe('1');
      expect(down.logged).toEqual([expect.stringMatching(new RegExp(`^warning: \\[API\\] GET ${path}: a dependency is unavailable: .+`))]);
    },
  );

  it('never shows the caller what the error says (where the database is)', async () => {
    const down = await answer('/dependency');
    expect(JSON.stringify(down.body)).not.toContain('db.internal');
  });
});

describe('anything else: 500 "internal error", the details logged as an error', () => {
  it.each(['/bug', '/usage'])('%s', async (path) => {
    const unexpected = await answer(path);
    expect([unexpected.status, unexpected.body]).toEqual([500, { success: false, error: 'internal error' }]);
    expect(unexpected.logged).toEqual([expect.stringMatching(new RegExp(`^error: \\[API\\] GET ${path}: unexpected error: .+`))]);
  });
});
