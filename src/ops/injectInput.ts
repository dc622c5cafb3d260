import { UsageError } from '../shared/errors.js';
import { lineError, readJsonLines, type JsonLine } from '../shared/jsonLines.js';
import { parseRedemptionEvent, type RedemptionEvent } from '../kafka/redemptionEvent.js';

// What `events inject` is asked to publish, validated whole before anything is published: the
// HTTP API's rules (quantity a whole number 1..100), so an injected event is one a member could
// have sent.

export const API_MAX_QUANTITY = 100;

/** A request by human keys (member by uuid/email/tel, reward by uuid/reward_code). */
export interface InjectRequest {
  kind: 'request';
  line?: number;
  user: string;
  reward: string;
  quantity: number;
  eventId?: string;
}

/** A full event, published as given (its own event id and timestamp). */
export interface InjectEvent {
  kind: 'event';
  line: number;
  event: RedemptionEvent;
}

export type InjectItem = InjectRequest | InjectEvent;

const SHORT_FIELDS = new Set(['user', 'reward', 'quantity', 'event_id']);
const quantityError = (got: unknown) => `quantity must be a whole number from 1 to ${API_MAX_QUANTITY}, got ${JSON.stringify(got)}`;

function validQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= API_MAX_QUANTITY;
}

/** One line of the file; throws UsageError naming the line and the field. */
function readLine({ line, text, value: json }: JsonLine, where: string): InjectItem {
  const bad = (what: string) => lineError(where, line, what);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('expected a JSON object');
  const row = json as Record<string, unknown>;
  if ('user_id' in row || 'reward_id' in row || 'merchant_id' in row) {
    if (row.quantity !== undefined && !validQuantity(row.quantity)) throw bad(quantityError(row.quantity));
    const parsed = parseRedemptionEvent(text);
    if (!parsed.ok) throw bad(parsed.reason);
    return { kind: 'event', line, event: parsed.event };
  }
  const unknown = Object.keys(row).filter((key) => !SHORT_FIELDS.has(key));
  if (unknown.length > 0) throw bad(`unknown field ${unknown[0]} (expected user, reward, quantity, event_id, or a full event)`);
  for (const field of ['user', 'reward'] as const) {
    if (typeof row[field] !== 'string' || row[field].trim() === '') throw bad(`${field} is required (a uuid or a human key)`);
  }
  const quantity = row.quantity ?? 1;
  if (!validQuantity(quantity)) throw bad(quantityError(row.quantity));
  const eventId = row.event_id;
  if (eventId !== undefined && (typeof eventId !== 'string' || eventId.length < 1 || eventId.length > 200)) {
    throw bad('event_id must be a string of 1 to 200 characters');
  }
  return { kind: 'request', line, user: row.user as string, reward: row.reward as string, quantity, ...(eventId !== undefined && { eventId }) };
}

/**
 * A JSON-lines file, every line checked before anything is published; blank lines are skipped.
 * Lines without an event_id get `<baseEventId>:<line>` when a base is given (re-running the same
 * file then publishes the same ids, which the engine treats as redeliveries), else a new uuid.
 */
export async function readInjectFile(path: string, baseEventId?: string): Promise<InjectItem[]> {
  const items: InjectItem[] = [];
  const seen = new Map<string, number>();
  for (const jsonLine of await readJsonLines('--file', path)) {
    const line = jsonLine.line;
    const item = readLine(jsonLine, path);
    if (item.kind === 'request' && item.eventId === undefined && baseEventId !== undefined) item.eventId = `${baseEventId}:${line}`;
    const id = item.kind === 'event' ? item.event.event_id : item.eventId;
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) throw lineError(path, line, `event_id ${id} repeats line ${first}`);
      seen.set(id, line);
    }
    items.push(item);
  }
  if (items.length === 0) throw new UsageError(`${path} holds no events (expected JSON lines)`);
  return items;
}

/** --user/--reward/--quantity/--count: K requests; --event-id is the id (K = 1) or the base `<id>:<n>`. */
export function requestsFromFlags(input: { user: string; reward: string; quantity: number; count: number; eventId?: string | undefined }): InjectRequest[] {
  return Array.from({ length: input.count }, (_, i) => ({
    kind: 'request' as const,
    user: input.user,
    reward: input.reward,
    quantity: input.quantity,
    ...(input.eventId !== undefined && { eventId: input.count === 1 ? input.eventId : `${input.eventId}:${i + 1}` }),
  }));
}
