import type { RedeemResult } from '../engine/types.js';
import type { RedemptionEvent } from '../kafka/redemptionEvent.js';
import type { Logger } from '../shared/logger.js';
import { redactSecrets } from '../shared/redact.js';

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

/** Error text safe for a log line: every secret masked (src/shared/redact.ts), in case a driver echoes one. */
export { redactSecrets };

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return redactSecrets(typeof code === 'string' && code !== '' ? `${message} (${code})` : message);
}

export class WorkerLog {
  constructor(private readonly logger: Logger) {}

  started(fields: { group: string; topic: string; concurrency: number; batchSize: number; batchMaxMs: number; brokers: string[]; database: string }): void {
    this.logger.info(
      `${PREFIX} Worker started: group=${fields.group}, topic=${fields.topic}, concurrency=${fields.concurrency}, batch=${fields.batchSize} events/${fields.batchMaxMs}ms, database=${fields.database}`,
      fields,
    );
  }

  stopped(group: string): void {
    this.logger.info(`${PREFIX} Worker stopped: offsets committed, left group ${group}`, { group });
  }

  /** The graceful stop did not end within the shutdown timeout (the broker or the database away). */
  stopAbandoned(group: string, timeoutMs: number, error?: unknown): void {
    const why = error === undefined ? `did not finish within ${timeoutMs / 1000} s` : `failed: ${errorText(error)}`;
    this.logger.error(
      `${PREFIX} Worker stop ${why}: in-flight work abandoned uncommitted (it is delivered again and takes effect once), group ${group} not left cleanly`,
      { group, shutdown_timeout_ms: timeoutMs, ...(error !== undefined && { error: errorText(error) }) },
    );
  }

  topicCreated(topic: string, partitions: number, replicationFactor: number): void {
    this.logger.info(`${PREFIX} Created Kafka topic ${topic} with ${partitions} partitions (replication factor ${replicationFactor})`, {
      topic,
      partitions,
      replication_factor: replicationFactor,
    });
  }

  /** The expiry sweep retired available codes past their expires_at (docs/engine.md). */
  expiredCodesRetired(count: number, ms: number): void {
    this.logger.info(`${PREFIX} Expiry sweep: retired ${count} expired codes from the claim index in ${ms}ms`, { retired: count, ms });
  }

  sweepFailed(error: unknown): void {
    this.logger.warn(`${PREFIX} Expiry sweep failed, trying again at the next interval: ${errorText(error)}`, { error: errorText(error) });
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

  /** A group of events rolled back as a whole (a deadlock, a lock timeout, the database away): each is handled again alone. */
  groupRolledBack(count: number, first: Origin, error: unknown): void {
    this.logger.warn(
      `${PREFIX} Group of ${count} events from ${sourceId(first)} rolled back after error: ${errorText(error)}; processing them one by one`,
      { source_id: sourceId(first), events: count, error: errorText(error) },
    );
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

  /**
   * The DLQ did not take a message (src/worker/deadLetterMessage.ts): where from, how big, the
   * DLQ's error, and what was done instead. `recordedFor`: the event id its failure was recorded
   * under; false: recording failed too; undefined: it names no event id, so it is lost to the DLQ
   * (its key and first bytes are kept here).
   */
  deadLetterFailed(
    origin: Origin,
    message: { key?: Buffer | null; value?: Buffer | null },
    dlqTopic: string,
    failure: { error: string; reason: string; recordedFor: string | false | undefined; eventId: string | undefined },
  ): void {
    const bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0);
    const head = firstBytes(message.value);
    const key = message.key ? firstBytes(message.key) : 'null';
    const done =
      failure.recordedFor === undefined
        ? `the message names no event id: the message is lost (key ${key}, first bytes ${head})`
        : failure.recordedFor === false
          ? `recording it for event ${failure.eventId} failed too (the line before)`
          : `recorded as INVALID_EVENT for event ${failure.recordedFor}`;
    this.logger.error(
      `${PREFIX} Could not dead-letter message ${sourceId(origin)} (${sizeText(bytes)}) to ${dlqTopic}: ${failure.error}; ${done}; the partition goes on`,
      {
        source_id: sourceId(origin),
        dlq_topic: dlqTopic,
        bytes,
        error: failure.error,
        reason: failure.reason,
        key,
        value_head: head,
        ...(failure.eventId !== undefined && { event_id: failure.eventId }),
        recorded: typeof failure.recordedFor === 'string',
      },
    );
  }

  invalidEventNotRecorded(eventId: string, error: unknown): void {
    this.logger.error(`${PREFIX} Could not record invalid event ${eventId}: ${errorText(error)}`, { event_id: eventId, error: errorText(error) });
  }

  consumerCrashed(error: unknown, restart: boolean): void {
    const then = restart ? 'kafkajs restarts it' : 'giving up';
    this.logger.error(`${PREFIX} Kafka consumer crashed (${then}): ${errorText(error)}`, { error: errorText(error), restart });
  }
}

const HEAD_BYTES = 64;

/** The first bytes of a message as a quoted string, control characters escaped, secrets masked. */
function firstBytes(value: Buffer | null | undefined): string {
  if (!value) return 'null';
  const head = value.subarray(0, HEAD_BYTES).toString('utf8');
  return redactSecrets(JSON.stringify(value.length > HEAD_BYTES ? `${head}…` : head));
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
