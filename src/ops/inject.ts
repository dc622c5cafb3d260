import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../engine/redeem.js';
import { resolveRewardId, resolveUserId } from '../engine/resolve.js';
import { EventPublisher } from '../kafka/publisher.js';
import { newEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';
import type { KafkaSettings } from '../kafka/settings.js';
import { isKafkaError, unreachable } from '../kafka/opsClients.js';
import type { InjectItem } from './injectInput.js';

// `events inject`: turn validated requests into events for the merchant in context, then publish
// them all, or nothing when one names a member or reward this merchant does not have.

export type Resolution = { ok: true; events: RedemptionEvent[] } | { ok: false; errorCode: 'USER_NOT_FOUND' | 'REWARD_NOT_FOUND'; message: string };

/** A key's id in this merchant, or null; a uuid is checked too (another merchant's id is unknown here). */
async function lookup(db: Kysely<Schema>, merchantId: string, key: string, what: 'user' | 'reward'): Promise<string | null> {
  if (!isUuid(key)) return (what === 'user' ? await resolveUserId(db, merchantId, key) : await resolveRewardId(db, merchantId, key)).id;
  const table = what === 'user' ? 'user_accounts' : 'reward_master';
  const row = await db.selectFrom(table).select('id').where('id', '=', key).where('merchant_id', '=', merchantId).executeTakeFirst();
  return row?.id ?? null;
}

function describeKey(key: string, what: 'user' | 'reward'): string {
  if (isUuid(key)) return `id ${key}`;
  if (what === 'reward') return `reward_code ${key}`;
  return `${key.includes('@') ? 'email' : 'tel'} ${key}`;
}

export async function resolveInjectItems(db: Kysely<Schema>, merchantId: string, items: InjectItem[]): Promise<Resolution> {
  const cache = new Map<string, string | null>();
  const find = async (key: string, what: 'user' | 'reward') => {
    const cacheKey = `${what}:${key}`;
    if (!cache.has(cacheKey)) cache.set(cacheKey, await lookup(db, merchantId, key, what));
    return cache.get(cacheKey)!;
  };
  const events: RedemptionEvent[] = [];
  for (const item of items) {
    const at = item.line === undefined ? '' : ` (line ${item.line})`;
    const userKey = item.kind === 'event' ? item.event.user_id : item.user;
    const rewardKey = item.kind === 'event' ? item.event.reward_id : item.reward;
    if (item.kind === 'event' && item.event.merchant_id !== merchantId) {
      throw new UsageError(`line ${item.line}: merchant_id ${item.event.merchant_id} is not the merchant in context (${merchantId}); pass --merchant to inject for it`);
    }
    const userId = await find(userKey, 'user');
    if (!userId) return { ok: false, errorCode: 'USER_NOT_FOUND', message: `No member with ${describeKey(userKey, 'user')}${at}` };
    const rewardId = await find(rewardKey, 'reward');
    if (!rewardId) return { ok: false, errorCode: 'REWARD_NOT_FOUND', message: `No reward with ${describeKey(rewardKey, 'reward')}${at}` };
    events.push(
      item.kind === 'event'
        ? item.event
        : newEvent({ userId, rewardId, merchantId, quantity: item.quantity, ...(item.eventId !== undefined && { eventId: item.eventId }) }),
    );
  }
  return { ok: true, events };
}

/** Up to this many events per produce request (well under the broker's 1 MiB default). */
const SEND_CHUNK = 1_000;

/** Publishes keyed by user_id, acknowledged by every in-sync replica; a --count run is one send. */
export async function publishEvents(settings: KafkaSettings, events: RedemptionEvent[], clientId = 'redeemctl-events'): Promise<void> {
  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.connect(settings, clientId);
  } catch (error) {
    throw unreachable(settings, error);
  }
  try {
    for (let i = 0; i < events.length; i += SEND_CHUNK) await publisher.publish(events.slice(i, i + SEND_CHUNK));
  } catch (error) {
    throw isKafkaError(error) ? unreachable(settings, error) : error;
  } finally {
    await publisher.disconnect().catch(() => {});
  }
}
