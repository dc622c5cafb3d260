import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { UsageError } from '../shared/errors.js';
import { done, refused, type Outcome } from '../shared/outcome.js';
import { Refusal } from '../shared/refusal.js';
import { resolveMember, resolveReward } from '../lookup/keys.js';
import { EventPublisher } from '../kafka/publisher.js';
import { newEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';
import type { KafkaSettings } from '../kafka/settings.js';
import { isKafkaError, unreachable } from '../kafka/opsClients.js';
import type { InjectItem } from './injectInput.js';
import { actorHeaders } from '../kafka/actorHeader.js';
import { checkSendRun, type SendRun } from './sendRun.js';
import { auditingFailure, recordOperation, type OperatorAudit } from './operatorAudit.js';

// `events inject`: turn validated requests into events for the merchant in context, then (with
// --execute) publish them all, or nothing when one names a member or reward this merchant does
// not have (the refusal of src/lookup/keys.ts, naming the line; exit 1). Without --execute it is
// a preview: the same checks, nothing sent.

export interface Published {
  /** What it acts on (database, topic, brokers), set by the command line: src/cli/target.ts. */
  target?: string;
  /** False: a preview (no --execute), nothing sent. */
  executed: boolean;
  planned: number;
  published: number;
  topic: string;
  events: RedemptionEvent[];
}

/** A preview, or the publish with who and why (recorded in the audit log and on each message). */
export type InjectRun = { execute: false } | { execute: true; audit: OperatorAudit };

/**
 * Resolves every item, then (executing) publishes them all in one go, with the operator in each
 * message's x-actor header, and records one audit row; the first key that names nothing refuses
 * the lot. A preview resolves just the same and sends nothing.
 */
export async function injectEvents(
  db: Kysely<Schema>,
  merchantId: string,
  settings: KafkaSettings,
  items: InjectItem[],
  run: InjectRun,
): Promise<Outcome<Published | Refusal>> {
  const events = await resolveInjectItems(db, merchantId, items);
  if (events instanceof Refusal) return refused(events);
  if (!run.execute) return done({ executed: false, planned: events.length, published: 0, topic: settings.topic, events });
  const record = (published: number, extra: Record<string, unknown> = {}) =>
    recordOperation(run.audit, 'events_inject', { type: 'topic', id: settings.topic }, { published, planned: events.length, ...eventIds(events.slice(0, published)), ...extra });
  let sent = 0;
  await auditingFailure(
    () => publishEvents(settings, events, 'redeemctl-inject', { headers: actorHeaders(run.audit.actor), onSent: (n) => (sent += n) }),
    () => sent,
    (partial) => record(partial.done, { error: partial.error }),
  );
  await record(events.length);
  return done({ executed: true, planned: events.length, published: events.length, topic: settings.topic, events });
}

/** The ids an audit row names: the first 100, and how many more there were. */
export function eventIds(events: RedemptionEvent[]): { event_ids: string[]; more_event_ids: number } {
  return { event_ids: events.slice(0, 100).map((e) => e.event_id), more_event_ids: Math.max(0, events.length - 100) };
}

/** The events to publish, or the refusal for the first line whose member or reward names nothing. */
export async function resolveInjectItems(db: Kysely<Schema>, merchantId: string, items: InjectItem[]): Promise<RedemptionEvent[] | Refusal> {
  // A file names the same few members and rewards many times: each key is looked up once.
  const cache = new Map<string, Promise<string | Refusal>>();
  const find = (key: string, what: 'user' | 'reward') => {
    const cacheKey = `${what}:${key}`;
    if (!cache.has(cacheKey)) cache.set(cacheKey, what === 'user' ? resolveMember(db, merchantId, key) : resolveReward(db, merchantId, key));
    return cache.get(cacheKey)!;
  };
  const events: RedemptionEvent[] = [];
  for (const item of items) {
    const userKey = item.kind === 'event' ? item.event.user_id : item.user;
    const rewardKey = item.kind === 'event' ? item.event.reward_id : item.reward;
    if (item.kind === 'event' && item.event.merchant_id !== merchantId) {
      throw new UsageError(`line ${item.line}: merchant_id ${item.event.merchant_id} is not the merchant in context (${merchantId}); pass --merchant to inject for it`);
    }
    const userId = await find(userKey, 'user');
    if (userId instanceof Refusal) return nothingPublished(userId, item.line);
    const rewardId = await find(rewardKey, 'reward');
    if (rewardId instanceof Refusal) return nothingPublished(rewardId, item.line);
    events.push(
      item.kind === 'event'
        ? item.event
        : newEvent({ userId, rewardId, merchantId, quantity: item.quantity, ...(item.eventId !== undefined && { eventId: item.eventId }) }),
    );
  }
  return events;
}

/** The resolver's refusal, naming the file's line, and saying that nothing went out. */
function nothingPublished(refusal: Refusal, line: number | undefined): Refusal {
  const at = line === undefined ? '' : ` (line ${line})`;
  return new Refusal(refusal.error_code, `${refusal.message}${at}`, { ...refusal.extra, published: 0 }, 'nothing published');
}

/** Up to this many events per produce request (well under the broker's 1 MiB default). */
const SEND_CHUNK = 1_000;

export interface PublishOptions {
  /** Headers of every message (the operator's x-actor). */
  headers?: Record<string, string>;
  /** Called after each acknowledged send with the number of events it held. */
  onSent?: (count: number) => void;
  /** events replay: progress after each send, and Ctrl-C between two (src/ops/sendRun.ts). */
  run?: SendRun;
}

/** Publishes keyed by user_id, acknowledged by every in-sync replica; a --count run is one send. */
export async function publishEvents(settings: KafkaSettings, events: RedemptionEvent[], clientId = 'redeemctl-events', options: PublishOptions = {}): Promise<void> {
  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.connect(settings, clientId);
  } catch (error) {
    throw unreachable(settings, error);
  }
  try {
    for (let i = 0; i < events.length; i += SEND_CHUNK) {
      checkSendRun(options.run, i, events.length);
      const chunk = events.slice(i, i + SEND_CHUNK);
      await publisher.publish(chunk, options.headers);
      options.onSent?.(chunk.length);
      options.run?.onSent(i + chunk.length, events.length);
    }
  } catch (error) {
    throw isKafkaError(error) ? unreachable(settings, error) : error;
  } finally {
    await publisher.disconnect().catch(() => {});
  }
}
