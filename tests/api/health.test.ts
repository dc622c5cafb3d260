import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createVerifier } from '../../src/api/auth.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { EventPublisher } from '../../src/kafka/publisher.js';
import { createLogger } from '../../src/shared/logger.js';
import { brokerAddress, call, useApi } from '../support/apiHarness.js';
import { runInProcess } from '../support/cliHarness.js';
import { createServerDatabase } from '../support/databases.js';
import { TEST_SECRET, TEST_TOKEN_ENV, bearer, signToken } from '../support/jwt.js';

// /healthz, unknown paths and methods, metrics, Kafka down, and `redeemctl serve` itself.

const api = useApi({ topicPrefix: 'api-health' });
const verifier = createVerifier('HS256', new TextEncoder().encode(TEST_SECRET));
const quiet = createLogger('text', { write: () => true });
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

async function serverOn(database: Database, publisher = api().publisher): Promise<ApiServer> {
  const server = await startApiServer({ port: 0, database, publisher, verifier, logger: quiet, healthTimeoutMs: 1_000 });
  cleanup.push(() => server.close());
  return server;
}

const redemption = (token: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...bearer(token) },
  body: JSON.stringify({ reward_id: randomUUID() }),
});

describe('GET /healthz', () => {
  it('200 without a token while the database answers', async () => {
    const answer = await call(`${api().url}/healthz`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, database: 'up', kafka: 'up' });
  });

  it('503 when the database is at a dead port, or its handle is closed', async () => {
    const dead = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing', poolSize: 1 });
    cleanup.push(() => dead.close());
    const deadServer = await serverOn(dead);
    const answer = await call(`http://127.0.0.1:${deadServer.port}/healthz`);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ ok: false, database: 'down', kafka: 'up' });

    const closed = await createServerDatabase({ poolSize: 1 });
    const closedServer = await serverOn(closed.database);
    expect((await call(`http://127.0.0.1:${closedServer.port}/healthz`)).status).toBe(200);
    await closed.drop();
    // the probe's answer is reused for a second (so /healthz never takes a connection per call)
    await vi.waitFor(async () => expect((await call(`http://127.0.0.1:${closedServer.port}/healthz`)).status).toBe(503), { timeout: 5_000, interval: 200 });
    // a read that needs the database answers 503 too, never 500
    const token = await signToken({ sub: randomUUID(), merchant_id: randomUUID() });
    const read = await call(`http://127.0.0.1:${closedServer.port}/redemptions/${randomUUID()}`, { headers: bearer(token) });
    expect(read.status).toBe(503);
    expect(read.body.success).toBe(false);
  });
});

describe('Kafka unavailable', () => {
  it('POST answers 503 without 202, counts the failure, and /healthz reports kafka down', async () => {
    const publisher = await EventPublisher.connect({ brokers: [brokerAddress()], topic: api().tap.topic, dlqTopic: 'unused' }, 'api-test-down');
    await publisher.disconnect();
    const server = await serverOn(api().handle.database, publisher);
    const url = `http://127.0.0.1:${server.port}`;
    const answer = await call(`${url}/redemptions`, redemption(await signToken({ sub: randomUUID(), merchant_id: randomUUID() })));
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ success: false, error: expect.stringMatching(/could not be queued/) });
    expect(await server.metrics.registry.getSingleMetricAsString('redeemctl_api_publish_failures_total')).toMatch(/total 1$/m);
    expect((await call(`${url}/healthz`)).body).toEqual({ ok: true, database: 'up', kafka: 'down' });
  });
});

describe('routing and metrics', () => {
  it('an unknown path is 404 and a wrong method 405 with Allow, both JSON', async () => {
    const missing = await call(`${api().url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ success: false, error: expect.stringContaining('/nope') });
    expect((await call(`${api().url}/metrics`)).status).toBe(404); // metrics live on --metrics-port only
    const wrong = await call(`${api().url}/redemptions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.headers.get('content-type')).toMatch(/application\/json/);
    expect((await call(`${api().url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('records request durations by route pattern and status', async () => {
    await call(`${api().url}/redemptions/${randomUUID()}`);
    const text = await api().server.metrics.registry.metrics();
    expect(text).toMatch(/redeemctl_api_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toMatch(/route="\/redemptions\/:event_id",status="401"/);
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toMatch(/route="\/redemptions\/[0-9a-f]{8}-/);
  });
});

describe('redeemctl serve', () => {
  it('exits 2 naming JWT_SECRET and JWT_PUBLIC_KEY when neither is set, before touching Kafka or the database', async () => {
    const result = await runInProcess(['serve', '--port', '0'], { env: { KAFKA_BROKERS: brokerAddress() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/JWT_SECRET/);
    expect(result.stderr).toMatch(/JWT_PUBLIC_KEY/);
  });

  it('exits 2 for a secret too short, without printing it, and 3 when Kafka is not configured', async () => {
    const short = await runInProcess(['serve'], { env: { JWT_SECRET: 'hunter2-but-longer' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/JWT_SECRET must be at least 32 bytes/);
    expect(short.stderr + short.stdout).not.toContain('hunter2');
    const noKafka = await runInProcess(['serve'], { env: { ...TEST_TOKEN_ENV } });
    expect(noKafka.code).toBe(3);
    expect(noKafka.stderr).toMatch(/KAFKA_BROKERS/);
  });

  it('serves the API and metrics with JSON logs until SIGTERM, then exits 0', async () => {
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: { DATABASE_URL: api().handle.url!, ...TEST_TOKEN_ENV },
    };
    const { run } = await import('../../src/cli/main.js');
    const running = run(['serve', '--port', '0', '--metrics-port', '0', '--log-format', 'json', '--brokers', brokerAddress(), '--topic', api().tap.topic], io);
    let accepted: Awaited<ReturnType<typeof call>>;
    const userId = randomUUID();
    try {
      const started = await vi.waitFor(
        () => {
          const line = stdout.split('\n').find((l) => l.includes('Listening on'));
          if (!line) throw new Error(`not listening yet: ${stdout}${stderr}`);
          return JSON.parse(line) as { port: number; metrics_port: number; msg: string };
        },
        { timeout: 20_000, interval: 50 },
      );
      const url = `http://127.0.0.1:${started.port}`;
      expect((await call(`${url}/healthz`)).status).toBe(200);
      accepted = await call(`${url}/redemptions`, redemption(await signToken({ sub: userId, merchant_id: randomUUID() })));
      expect(accepted.status).toBe(202);
      const metrics = await (await fetch(`http://127.0.0.1:${started.metrics_port}/metrics`)).text();
      expect(metrics).toMatch(/redeemctl_api_events_published_total 1/);
      expect(metrics).toMatch(/redeemctl_api_request_duration_seconds_bucket/);
      expect(metrics).toMatch(/process_cpu_seconds_total/);
    } finally {
      process.emit('SIGTERM'); // stops the in-process serve however the checks went
    }
    expect(await running).toBe(0);
    const logs = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; event_id?: string; user_id?: string });
    const published = logs.find((l) => l.msg.startsWith('[API] Published event'));
    expect(published).toMatchObject({ msg: `[API] Published event ${accepted.body.event_id} for user ${userId}, quantity: 1`, event_id: accepted.body.event_id, user_id: userId });
    expect(logs.at(-1)?.msg).toBe('[API] Shutting down');
    expect(stdout + stderr).not.toContain(TEST_SECRET);
  });
});
