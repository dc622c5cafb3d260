import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { cancel, setUsed, type CancelRequest } from '../../src/engine/cancelAndUse.js';
import { renderCancel } from '../../src/cli/commands/render/redeem.js';
import type { FixtureInput } from '../../src/demo/fixtureSchema.js';
import type { CliIO } from '../../src/shared/io.js';
import { LEDGER_CHANNEL } from '../../src/api/realtime/listenerSession.js';
import { BACKENDS } from '../support/databases.js';
import { Scenario, uniqueName, useTestDatabase } from '../support/scenario.js';

// Edges of cancel (issue 9, defects 2 and 8; docs/domain.md "After redemption", docs/engine.md
// "Realtime notifications"): a used code is voided whatever --codes says, so the next member never
// receives a code someone has already used; and cancel notifies only while a listener is registered.

const STAFF = { actor: 'bob@staff', reason: 'customer called' };

function fixture(): FixtureInput {
  return {
    merchant: { name: uniqueName() },
    users: [
      { email: 'a@t.test', points: 1_000 },
      { email: 'b@t.test', points: 1_000 },
    ],
    rewards: [{ reward_code: 'VOUCHER', name: 'Voucher', fallback_points: 100, assign_promocode: true, codes: { generate: 3, prefix: 'V-' } }],
  };
}

/** Plain output, as when piped: no colour, no borders. */
const PLAIN: CliIO = { stdout: { write: () => true, isTTY: false }, stderr: { write: () => true }, env: { NO_COLOR: '1' } };

describe.each(BACKENDS)('cancel edges on %s', (backend) => {
  const test = useTestDatabase(backend);
  const create = () => Scenario.create(test().database.db, fixture());
  const cancelBy = (s: Scenario, by: CancelRequest['by'], value: string, extra: Partial<CancelRequest> = {}) =>
    cancel(s.db, { merchantId: s.merchantId, by, value, ...STAFF, ...extra });
  const markUsed = (s: Scenario, redemptionCode: string) =>
    setUsed(s.db, { merchantId: s.merchantId, by: 'code', value: redemptionCode, used: true, actor: 'till-7' });
  const codeStatus = async (s: Scenario, promoCode: string) =>
    (await s.db.selectFrom('reward_promo_code').select('status').where('merchant_id', '=', s.merchantId)
      .where('promo_code', '=', promoCode).executeTakeFirstOrThrow()).status;

  describe('a used code never goes back to the pool', () => {
    it('forced cancel with --codes release voids the used code, says so, and the next member gets another code', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 1);
      const used = r.redemptions[0]!;
      expect(used.promo_code).toBe('V-000001');
      expect(await markUsed(s, used.redemption_code)).toMatchObject({ success: true });

      const result = await cancelBy(s, 'event', r.event_id, { codes: 'release', forceUsed: true });
      expect(await codeStatus(s, 'V-000001')).toBe('voided');
      expect(await s.balance('a@t.test')).toBe(1_000);
      const next = await s.redeem('b@t.test', 'VOUCHER', 1);
      expect(next).toMatchObject({ success: true });
      expect(next.redemptions.map((x) => x.promo_code)).toEqual(['V-000002']);
      expect(await s.codeStatuses('VOUCHER')).toEqual({ voided: 1, redeemed: 1, available: 1 });

      expect(result).toMatchObject({ success: true, cancelled: 1, points_refunded: 100, codes: 'release',
        codes_affected: 1, codes_released: 0, codes_voided: 1,
        message: 'Cancelled 1 redemption(s), refunding 100 points, 1 used code(s) voided, not released' });
      expect(result.rows).toEqual([expect.objectContaining({ redemption_id: used.redemption_id, promo_code: 'V-000001',
        was_used: true, code: 'voided', code_reason: 'used' })]);
    });

    it('a mixed cancel releases the unused code and voids the used one, per row and in the summary; a dry run says the same', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 2);
      const [fresh, used] = r.redemptions;
      await markUsed(s, used!.redemption_code);

      const message = '2 redemption(s), refunding 200 points, 1 code(s) released, 1 used code(s) voided, not released';
      const dry = await cancelBy(s, 'event', r.event_id, { forceUsed: true, dryRun: true });
      expect(dry).toMatchObject({ success: true, dry_run: true, cancelled: 0, codes_released: 1, codes_voided: 1, message: `Would cancel ${message}` });
      expect(await s.codeStatuses('VOUCHER')).toEqual({ redeemed: 2, available: 1 });

      const result = await cancelBy(s, 'event', r.event_id, { forceUsed: true });
      expect(result).toMatchObject({ success: true, cancelled: 2, codes_affected: 2, codes_released: 1, codes_voided: 1, message: `Cancelled ${message}` });
      expect(result.rows!.map((x) => [x.promo_code, x.was_used, x.code, x.code_reason])).toEqual([
        [fresh!.promo_code, false, 'released', null],
        [used!.promo_code, true, 'voided', 'used'],
      ]);
      expect(await codeStatus(s, used!.promo_code!)).toBe('voided');
      expect(await codeStatus(s, fresh!.promo_code!)).toBe('available');

      // The pool now holds the released code and the untouched one; the used code is not among them.
      const next = await s.redeem('b@t.test', 'VOUCHER', 2);
      expect(next.redemptions.map((x) => x.promo_code).sort()).toEqual([fresh!.promo_code, 'V-000003'].sort());
      expect(await s.redeem('b@t.test', 'VOUCHER', 1)).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES' });
    });

    it('with --codes void every code is voided; the rows say which were used and which were asked for', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 2);
      const [fresh, used] = r.redemptions;
      await markUsed(s, used!.redemption_code);
      const result = await cancelBy(s, 'event', r.event_id, { forceUsed: true, codes: 'void' });
      expect(result).toMatchObject({ success: true, codes_released: 0, codes_voided: 2,
        message: 'Cancelled 2 redemption(s), refunding 200 points, 2 code(s) voided' });
      expect(result.rows!.map((x) => [x.promo_code, x.code, x.code_reason])).toEqual([
        [fresh!.promo_code, 'voided', 'requested'],
        [used!.promo_code, 'voided', 'used'],
      ]);
      expect(await s.codeStatuses('VOUCHER')).toEqual({ voided: 2, available: 1 });
    });

    it('a mark taken back (unuse) before the cancel leaves the code releasable', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 1);
      const row = r.redemptions[0]!;
      await markUsed(s, row.redemption_code);
      await setUsed(s.db, { merchantId: s.merchantId, by: 'code', value: row.redemption_code, used: false, actor: 'till-7' });
      const result = await cancelBy(s, 'event', r.event_id);
      expect(result).toMatchObject({ success: true, codes_released: 1, codes_voided: 0,
        message: 'Cancelled 1 redemption(s), refunding 100 points, 1 code(s) released' });
      expect(result.rows!.map((x) => [x.code, x.code_reason])).toEqual([['released', null]]);
      expect((await s.redeem('b@t.test', 'VOUCHER', 1)).redemptions.map((x) => x.promo_code)).toEqual([row.promo_code]);
    });

    it('the CLI rendering shows what happened to each code', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 2);
      const [fresh, used] = r.redemptions;
      await markUsed(s, used!.redemption_code);
      const text = renderCancel(PLAIN, await cancelBy(s, 'event', r.event_id, { forceUsed: true }));
      const lines = text.split('\n');
      expect(lines[0]).toBe('OK Cancelled 2 redemption(s), refunding 200 points, 1 code(s) released, 1 used code(s) voided, not released');
      expect(lines[1]).toMatch(/\bcode\b/);
      expect(lines.find((l) => l.includes(fresh!.redemption_code))).toMatch(/\breleased\b/);
      expect(lines.find((l) => l.includes(used!.redemption_code))).toMatch(/\bvoided \(used\)/);
    });
  });

  describe('cancel notifies only while a listener is registered', () => {
    /**
     * Listens on the ledger channel, runs `act`, then sends a marker notification of its own.
     * Notifications reach a listener in commit order, so once the marker is in, anything `act`
     * sent is in too: no fixed sleep needed to show that nothing came.
     */
    async function noticesDuring(act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
      const database = test().database;
      const marker = randomUUID();
      const seen: Array<Record<string, unknown>> = [];
      const unlisten = await database.listen(LEDGER_CHANNEL, (payload) => seen.push(JSON.parse(payload) as Record<string, unknown>));
      try {
        await act();
        await sql`select pg_notify(${LEDGER_CHANNEL}, ${JSON.stringify({ kind: 'marker', marker })})`.execute(database.db);
        await vi.waitFor(() => expect(seen.some((n) => n.marker === marker)).toBe(true), { timeout: 5_000 });
      } finally {
        await unlisten();
      }
      return seen.filter((n) => n.marker !== marker);
    }
    const register = async (s: Scenario, ttlSeconds: number) => {
      const id = randomUUID();
      await sql`insert into ledger_listeners (id, merchant_id, expires_at)
        values (${id}::uuid, ${s.merchantId}::uuid, now() + make_interval(secs => ${ttlSeconds}))`.execute(s.db);
      return () => sql`delete from ledger_listeners where id = ${id}::uuid`.execute(s.db);
    };

    it('no registration (or only an expired one): a cancel sends nothing', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 1);
      expect(await noticesDuring(() => cancelBy(s, 'event', r.event_id))).toEqual([]);

      const again = await s.redeem('a@t.test', 'VOUCHER', 1);
      const unregister = await register(s, -60);
      try {
        expect(await noticesDuring(() => cancelBy(s, 'event', again.event_id))).toEqual([]);
      } finally {
        await unregister();
      }
    });

    it('while a listener is registered, a cancel notifies once with what it cancelled', async () => {
      const s = await create();
      const r = await s.redeem('a@t.test', 'VOUCHER', 2);
      const unregister = await register(s, 60);
      try {
        const notices = await noticesDuring(() => cancelBy(s, 'event', r.event_id));
        expect(notices).toEqual([{ kind: 'cancel', merchant_id: s.merchantId, by: 'event', value: r.event_id, rows: 2 }]);
        // A dry run writes nothing, so it has nothing to announce.
        const other = await s.redeem('b@t.test', 'VOUCHER', 1);
        const dry = await noticesDuring(() => cancelBy(s, 'event', other.event_id, { dryRun: true }));
        expect(dry).toEqual([]);
      } finally {
        await unregister();
      }
    });
  });
});
