import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier } from '../../src/api/auth.js';
import { startApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { LedgerFeed } from '../../src/api/realtime/ledgerFeed.js';
import { openStream, useApi, type StreamClient } from '../support/apiHarness.js';
import { TEST_SECRET, bearer, nowSeconds, signToken } from '../support/jwt.js';
import { Scenario, uniqueName } from '../support/scenario.js';

// GET /redemptions/stream: a member's own ledger writes, live, from LISTEN/NOTIFY; the database
// notifies only while ledger_listeners holds a live registration, so that row must come and go
// with the streams.

const api = useApi({ topicPrefix: 'api-stream', server: { heartbeatMs: 200, feed: { refreshMs: 300 } } });
let s: Scenario;
let alice: string;
let bob: string;
const open: StreamClient[] = [];

beforeAll(async () => {
  s = await Scenario.create(api().handle.database.db, {
    merchant: { name: uniqueName('Stream') },
    users: [
      { email: 'alice@st.test', points: 10_000 },
      { email: 'bob@st.test', points: 10_000 },
    ],
    rewards: [
      { reward_code: 'MUG', name: 'Mug', fallback_points: 100 },
      { reward_code: 'PRICEY', name: 'Pricey', fallback_points: 1_000_000 },
    ],
  });
  alice = await signToken({ sub: s.user('alice@st.test'), merchant_id: s.merchantId });
  bob = await signToken({ sub: s.user('bob@st.test'), merchant_id: s.merchantId });
});

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

async function connect(token: string, url = api().url): Promise<StreamClient> {
  const client = await openStream(`${url}/redemptions/stream`, bearer(token));
  open.push(client);
  expect(client.status).toBe(200);
  expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
  await vi.waitFor(() => expect(client.comments).toContain('listening'), { timeout: 5_000 });
  return client;
}

async function liveRegistrations(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ledger_listeners where expires_at > now()`.execute(api().handle.database.db);
  return rows[0]!.n;
}

const redeemAs = (email: string, reward = 'MUG', quantity = 1) => s.redeem(email, reward, quantity, { sourceType: 'kafka' });

describe('GET /redemptions/stream', () => {
  it("delivers the member's own ledger rows written after connecting, and nobody else's", async () => {
    const earlier = await redeemAs('alice@st.test');
    expect(await liveRegistrations()).toBe(0);

    const aliceStream = await connect(alice);
    const bobStream = await connect(bob);
    expect(await liveRegistrations()).toBe(1); // one registration for the whole server

    const ok = await redeemAs('alice@st.test', 'MUG', 2);
    const refused = await redeemAs('alice@st.test', 'PRICEY');
    const bobs = await redeemAs('bob@st.test');
    expect(refused.error_code).toBe('INSUFFICIENT_POINTS');

    await vi.waitFor(() => expect(aliceStream.data).toHaveLength(2), { timeout: 5_000 });
    await vi.waitFor(() => expect(bobStream.data).toHaveLength(1), { timeout: 5_000 });
    expect(aliceStream.data.map((r) => r.event_id)).toEqual([ok.event_id, refused.event_id]);
    expect(aliceStream.data.map((r) => r.event_id)).not.toContain(earlier.event_id);
    expect(aliceStream.data[0]).toMatchObject({
      reward_id: s.reward('MUG'),
      qty: 2,
      points_deducted: 200,
      success: true,
      error_code: null,
      redemption_id: ok.redemptions[0]!.redemption_id,
      redemption_code: ok.redemptions[0]!.redemption_code,
    });
    expect(aliceStream.data[1]).toMatchObject({ success: false, error_code: 'INSUFFICIENT_POINTS', error_message: refused.message });
    for (const column of ['redemption_id', 'redemption_code', 'qty', 'promo_code', 'points_deducted', 'success', 'error_code', 'error_message', 'event_id', 'created_at']) {
      expect(aliceStream.data[0]).toHaveProperty(column);
    }
    expect(bobStream.data.map((r) => r.event_id)).toEqual([bobs.event_id]);
    await vi.waitFor(() => expect(aliceStream.comments).toContain('heartbeat'), { timeout: 2_000 });
  });

  it('removes the registration once the last stream disconnects', async () => {
    const client = await connect(alice);
    expect(await liveRegistrations()).toBe(1);
    client.close();
    await vi.waitFor(async () => expect(await liveRegistrations()).toBe(0), { timeout: 5_000 });
  });

  it('with a linger (serve keeps 30 s), the registration outlives the last subscriber by that long only', async () => {
    const feed = new LedgerFeed(api().handle.database, { idleMs: 300 });
    const unsubscribe = await feed.subscribe({ userId: s.user('alice@st.test') }, () => {});
    expect(await liveRegistrations()).toBe(1);
    await unsubscribe();
    expect(await liveRegistrations()).toBe(1);
    await vi.waitFor(async () => expect(await liveRegistrations()).toBe(0), { timeout: 5_000 });
    await feed.close();
  });

  it('heals a LISTEN connection killed under it, and delivers what was written meanwhile', async () => {
    const client = await connect(alice);
    const { rows } = await sql<{ n: number }>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'redeemctl-listen'`.execute(api().handle.database.db);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
    const written = await redeemAs('alice@st.test');
    await vi.waitFor(() => expect(client.data.map((r) => r.event_id)).toContain(written.event_id), { timeout: 10_000 });
    expect(api().logs.join('\n')).toMatch(/listening again/);
  });

  it('ends when its token expires', async () => {
    const shortLived = await signToken({ sub: s.user('alice@st.test'), merchant_id: s.merchantId }, { exp: nowSeconds() + 2 });
    const client = await connect(shortLived);
    await client.ended;
    expect(client.comments).toContain('token expired');
    await vi.waitFor(async () => expect(await liveRegistrations()).toBe(0), { timeout: 5_000 });
  });

  it('closes cleanly with the server, and the registration goes with it', async () => {
    await vi.waitFor(async () => expect(await liveRegistrations()).toBe(0), { timeout: 5_000 });
    const server = await startApiServer({
      port: 0,
      database: api().handle.database,
      publisher: api().publisher,
      verifier: createVerifier('HS256', new TextEncoder().encode(TEST_SECRET)),
      logger: createLogger('text', { write: () => true }),
    });
    const client = await connect(alice, `http://127.0.0.1:${server.port}`);
    expect(await liveRegistrations()).toBe(1);
    await server.close();
    await client.ended;
    expect(await liveRegistrations()).toBe(0);
  });
});
