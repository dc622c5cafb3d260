import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/api/realtime/ledgerFeed.js';
import { Subscribers, type Subscriber } from '../../src/api/realtime/subscribers.js';

// Who gets which ledger row: the routing inside the feed, without a database.

const row = (id: string, merchant_id: string, user_id: string) => ({ id, merchant_id, user_id }) as LedgerRow;

function collecting(filter: Subscriber['filter']): Subscriber & { got: string[] } {
  const got: string[] = [];
  return { filter, got, onRows: (rows) => got.push(...rows.map((r) => r.id)) };
}

describe('Subscribers', () => {
  it("routes each row to its member's subscribers and to merchant-wide ones of that merchant only", () => {
    const subs = new Subscribers();
    const alice = collecting({ merchantId: 'A', userId: 'alice' });
    const aliceElsewhere = collecting({ merchantId: 'B', userId: 'alice' });
    const merchantA = collecting({ merchantId: 'A' });
    const everything = collecting({});
    for (const s of [alice, aliceElsewhere, merchantA, everything]) subs.add(s);
    expect(subs.size).toBe(4);

    expect(subs.wants({ merchant_id: 'C', user_id: 'carol' })).toBe(true); // `everything`
    subs.delete(everything);
    expect(subs.wants({ merchant_id: 'C', user_id: 'carol' })).toBe(false);
    expect(subs.wants({ merchant_id: 'B', user_id: 'bob' })).toBe(false);
    expect(subs.wants({ merchant_id: 'B', user_id: 'alice' })).toBe(true);

    subs.deliver([row('1', 'A', 'alice'), row('2', 'A', 'bob'), row('3', 'B', 'alice'), row('4', 'A', 'alice')], () => {});
    expect(alice.got).toEqual(['1', '4']);
    expect(aliceElsewhere.got).toEqual(['3']);
    expect(merchantA.got).toEqual(['1', '2', '4']);
  });

  it('a subscriber that throws does not keep the rows from the others', () => {
    const subs = new Subscribers();
    const errors: unknown[] = [];
    const fine = collecting({ userId: 'u' });
    subs.add({ filter: { userId: 'u' }, onRows: () => { throw new Error('client gone'); } });
    subs.add(fine);
    subs.deliver([row('1', 'A', 'u')], (e) => errors.push(e));
    expect(fine.got).toEqual(['1']);
    expect(errors).toHaveLength(1);
    subs.delete(fine);
    subs.delete(fine); // twice is harmless
    expect(subs.size).toBe(1);
  });
});
