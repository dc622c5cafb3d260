import type { RedeemResult } from '../engine/types.js';
import type { RedemptionEvent } from '../kafka/redemptionEvent.js';
import type { Logger } from '../shared/logger.js';

// Every line the worker writes, in one place: the wording of docs/domain.md ("The asynchronous
// path") is a contract with the people tailing these logs; keep it exact.

const PREFIX = '[RewardConsumer]';

/** Where a message came from, as `topic/partition/offset` (also the request's source_id). */
export interface Origin {
  topic: string;
  partition: number;
  offset: string;
}

export function sourceId(origin: Origin): string {
  return `${origin.topic}/${origin.partition}/${origin.offset}`;
}

/**
 * Error text safe for a log line: a connection string's password (postgres://user:secret@host) or
 * a `password=…` pair is masked, in case a driver ever echoes one.
 */
export function redactSecrets(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@').replace(/(password\s*=\s*)\S+/gi, '$1***');
}

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return redactSecrets(typeof code === 'string' && code !== '' ? `${message} (${code})` : message);
}

export class WorkerLog {
  constructor(private readonly logger: Logger) {}

  started(fields: { group: string; topic: string; concurrency: number; brokers: string[]; database: string }): void {
    this.logger.info(
      `${PREFIX} Worker started: group=${fields.group}, topic=${fields.topic}, concurrency=${fields.concurrency}, database=${fields.database}`,
      fields,
    );
  }

  stopped(group: string): void {
    this.logger.info(`${PREFIX} Worker stopped: offsets committed, left group ${group}`, { group });
  }

  assigned(group: string, assignment: Record<string, number[] | undefined>): void {
    const held = Object.entries(assignment).map(([topic, partitions]) => `${topic}[${(partitions ?? []).join(',')}]`);
    this.logger.info(`${PREFIX} Joined group ${group}: assigned ${held.length > 0 ? held.join(' ') : 'no partitions'}`, { group, assignment });
  }

  processing(event: RedemptionEvent, origin: Origin): void {
    this.logger.info(
      `${PREFIX} Processing event ${event.event_id} for user=${event.user_id}, reward=${event.reward_id}, quantity=${event.quantity}`,
      { event_id: event.event_id, user_id: event.user_id, reward_id: event.reward_id, quantity: event.quantity, source_id: sourceId(origin) },
    );
  }

  /** A first-time result: success, or a business refusal the database recorded. */
  result(result: RedeemResult, ms: number): void {
    const fields = { event_id: result.event_id, ms, success: result.success, error_code: result.error_code };
    if (result.idempotent) {
      const stored = result.success ? 'succeeded' : `refused ${result.error_code}`;
      this.logger.info(`${PREFIX} Event ${result.event_id} was already processed (duplicate delivery, stored result: ${stored}) in ${ms}ms`, {
        ...fields,
        idempotent: true,
      });
    } else if (result.success) {
      this.logger.info(`${PREFIX} Successfully processed event ${result.event_id} in ${ms}ms`, fields);
    } else {
      this.logger.info(`${PREFIX} Event ${result.event_id} refused: ${result.error_code} ${result.message}`, fields);
    }
  }

  retrying(what: string, info: { attempt: number; delayMs: number; error: unknown; transient: boolean }, origin: Origin): void {
    const kind = info.transient ? 'transient error' : 'error';
    this.logger.warn(`${PREFIX} Retrying ${what} in ${info.delayMs}ms after ${kind} (attempt ${info.attempt}): ${errorText(info.error)}`, {
      source_id: sourceId(origin),
      attempt: info.attempt,
      delay_ms: info.delayMs,
      transient: info.transient,
      error: errorText(info.error),
    });
  }

  deadLettered(origin: Origin, dlqTopic: string, errorCode: string, reason: string, eventId: string | undefined): void {
    const about = eventId === undefined ? '' : ` (event ${eventId})`;
    this.logger.warn(`${PREFIX} Dead-lettered message ${sourceId(origin)}${about} to ${dlqTopic}: ${errorCode} ${reason}`, {
      source_id: sourceId(origin),
      dlq_topic: dlqTopic,
      error_code: errorCode,
      reason,
      ...(eventId !== undefined && { event_id: eventId }),
    });
  }

  invalidEventNotRecorded(eventId: string, error: unknown): void {
    this.logger.error(`${PREFIX} Could not record invalid event ${eventId}: ${errorText(error)}`, { event_id: eventId, error: errorText(error) });
  }

  consumerCrashed(error: unknown, restart: boolean): void {
    const then = restart ? 'kafkajs restarts it' : 'giving up';
    this.logger.error(`${PREFIX} Kafka consumer crashed (${then}): ${errorText(error)}`, { error: errorText(error), restart });
  }
}
