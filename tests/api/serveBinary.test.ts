import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, TEST_HOME, collectOutput, ensureDist } from '../support/cliHarness.js';
import { KafkaTap, brokerAddress, call } from '../support/apiHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_TOKEN_ENV, bearer, signToken, unsignedToken } from '../support/jwt.js';

// The built `redeemctl serve` (bin/ → dist/) with the hot path of issue 12: HS256 checked by
// node:crypto's HMAC, events batched into several sends in flight. A burst of concurrent POSTs
// from several members: every one a 202 after its own event is on the topic, each event once,
// keyed by its member, and each member's events in the order the API accepted them.

let database: TestDatabase;
let tap: KafkaTap;
let serve: ChildProcess | undefined;
let ended: ReturnType<typeof collectOutput> | undefined;
let url: string;

beforeAll(async () => {
  await ensureDist();
  [database, tap] = await Promise.all([createServerDatabase({ poolSize: 1 }), KafkaTap.create('api-serve-bin')]);
  await tap.startConsuming();
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--brokers', brokerAddress(), '--topic', tap.topic], {
    env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, DATABASE_URL: database.url, ...TEST_TOKEN_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ended = collectOutput(serve);
  let stdout = '';
  serve.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const port = await vi.waitFor(
    () => {
      const found = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (!found) throw new Error(`serve is not listening yet: ${stdout}`);
      return Number(found[1]);
    },
    { timeout: 20_000, interval: 50 },
  );
  url = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  if (serve?.pid !== undefined && serve.exitCode === null) process.kill(serve.pid, 'SIGTERM');
  const result = await ended;
  await tap?.close();
  await database?.drop();
  expect(result?.code, result?.stderr).toBe(0);
});

const post = (token: string, body: object) =>
  call(`${url}/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });

describe('redeemctl serve (built): HS256 by node:crypto, batched sends', () => {
  it('refuses a forged signature and alg none (401), and publishes nothing for them', async () => {
    const claims = { sub: randomUUID(), merchant_id: randomUUID() };
    const before = await tap.highWatermark();
    const forged = await signToken(claims, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') });
    expect((await post(forged, { reward_id: randomUUID() })).body).toEqual({ success: false, error: 'token signature is invalid' });
    expect((await post(unsignedToken(claims), { reward_id: randomUUID() })).status).toBe(401);
    expect(await tap.highWatermark()).toBe(before);
  });

  it('a burst of 60 concurrent POSTs from 5 members: 60 × 202, each event once on the topic, each member in order', async () => {
    const merchant = randomUUID();
    const members = Array.from({ length: 5 }, () => randomUUID());
    const tokens = await Promise.all(members.map((sub) => signToken({ sub, merchant_id: merchant })));
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post(tokens[i % 5]!, { reward_id: randomUUID(), quantity: 1 + (i % 3) })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(202));
    const ids = answers.map((a) => (a.body as { event_id: string }).event_id);
    const messages = await Promise.all(ids.map((id) => tap.message(id)));
    expect(new Set(tap.messages.map((m) => m.value.event_id)).size).toBe(tap.messages.length); // none twice
    for (const [i, message] of messages.entries()) {
      expect(message.key).toBe(members[i % 5]);
      expect(message.value).toMatchObject({ user_id: members[i % 5], merchant_id: merchant, quantity: 1 + (i % 3) });
    }
    for (const member of members) {
      // the topic's order for a member follows the moment the API accepted each event (its timestamp)
      const stamps = tap.messages.filter((m) => m.key === member).map((m) => Date.parse(m.value.timestamp as string));
      expect(stamps).toHaveLength(12);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    }
  });
});
