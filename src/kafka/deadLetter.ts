import type { IHeaders, KafkaMessage } from 'kafkajs';

/**
 * The dead-letter topic (`<topic>.dlq`): the original key and value byte for byte, and why and
 * where from in headers. The worker writes these; `dlq list` and `dlq redrive` read them.
 */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  /** INVALID_EVENT (unreadable) or PROCESSING_ERROR (raised a non-transient error every try). */
  errorCode: 'x-dlq-error-code',
  originTopic: 'x-origin-topic',
  originPartition: 'x-origin-partition',
  originOffset: 'x-origin-offset',
  failedAt: 'x-failed-at',
  eventId: 'x-event-id',
  /** On a redriven message: the DLQ offset it came from, so the worker's log can say so. */
  redrivenFrom: 'x-redriven-from',
} as const;

export type DeadLetterCode = 'INVALID_EVENT' | 'PROCESSING_ERROR';

export interface DeadLetterInfo {
  reason: string;
  errorCode: DeadLetterCode;
  originTopic: string;
  originPartition: number;
  originOffset: string;
  failedAt: string;
  eventId?: string;
}

export function deadLetterHeaders(info: DeadLetterInfo, original: IHeaders = {}): IHeaders {
  return {
    ...original,
    [DLQ_HEADERS.reason]: info.reason,
    [DLQ_HEADERS.errorCode]: info.errorCode,
    [DLQ_HEADERS.originTopic]: info.originTopic,
    [DLQ_HEADERS.originPartition]: String(info.originPartition),
    [DLQ_HEADERS.originOffset]: info.originOffset,
    [DLQ_HEADERS.failedAt]: info.failedAt,
    ...(info.eventId !== undefined && { [DLQ_HEADERS.eventId]: info.eventId }),
  };
}

function header(message: Pick<KafkaMessage, 'headers'>, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The dead-letter headers of a DLQ message, or null when it carries none. */
export function readDeadLetter(message: Pick<KafkaMessage, 'headers'>): DeadLetterInfo | null {
  const reason = header(message, DLQ_HEADERS.reason);
  const originTopic = header(message, DLQ_HEADERS.originTopic);
  if (reason === undefined || originTopic === undefined) return null;
  const eventId = header(message, DLQ_HEADERS.eventId);
  return {
    reason,
    errorCode: (header(message, DLQ_HEADERS.errorCode) ?? 'INVALID_EVENT') as DeadLetterCode,
    originTopic,
    originPartition: Number(header(message, DLQ_HEADERS.originPartition) ?? -1),
    originOffset: header(message, DLQ_HEADERS.originOffset) ?? '',
    failedAt: header(message, DLQ_HEADERS.failedAt) ?? '',
    ...(eventId !== undefined && { eventId }),
  };
}

/** Headers for a redriven message: the original's own headers, without the dead-letter ones. */
export function redriveHeaders(message: Pick<KafkaMessage, 'headers' | 'offset'>): IHeaders {
  const kept: IHeaders = {};
  const ours = new Set<string>(Object.values(DLQ_HEADERS));
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!ours.has(name) && value !== undefined) kept[name] = value;
  }
  kept[DLQ_HEADERS.redrivenFrom] = message.offset;
  return kept;
}

/** What a failed dead-letter send tells: whether trying again can help, and its kind for a metric label. */
export interface SendFailure {
  /** True when no retry can succeed (the broker refused this message or this client for good). */
  permanent: boolean;
  /** kafkajs's protocol error type (MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, ...), else the error's name. */
  kind: string;
  /** The message and, when known, the protocol type: `… (MESSAGE_TOO_LARGE)`. */
  text: string;
}

// kafkajs does not retry these either (src/retry/index.js): a bug, not the broker.
const UNRECOVERABLE = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);
// Wrappers whose own `retriable: false` only means kafkajs stopped retrying what they wrap.
const WRAPPERS = new Set(['KafkaJSNonRetriableError', 'KafkaJSNumberOfRetriesExceeded']);

type Link = Error & { type?: unknown; retriable?: unknown };

/**
 * Classifies what producer.send threw. kafkajs throws a KafkaJSProtocolError (its `type` and
 * `retriable` from the protocol's error table) directly, or wrapped in a KafkaJSNonRetriableError
 * or KafkaJSNumberOfRetriesExceeded (its `cause`); a wrapper's own `retriable` says nothing about
 * the broker's answer (NumberOfRetriesExceeded is "non-retriable" after a retriable error), so the
 * innermost protocol error decides: not retriable (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
 * INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED, ...) is permanent. Without one, the innermost error
 * decides: a kafkajs error marked not retriable (a SASL authentication failure) or a JavaScript
 * error kafkajs treats as unrecoverable (TypeError, RangeError, ...) is permanent; anything else
 * (a connection lost or refused, a request timeout, a leader election, retries exhausted on those)
 * is transient.
 */
export function classifySendFailure(error: unknown): SendFailure {
  const chain: Link[] = [];
  for (let link = error; link instanceof Error && chain.length < 10; link = (link as { cause?: unknown }).cause) chain.push(link);
  const top = error instanceof Error ? error : new Error(String(error));
  const protocol = chain.filter((e) => typeof e.type === 'string').pop();
  if (protocol) {
    const type = String(protocol.type);
    return { permanent: protocol.retriable === false, kind: type, text: `${protocol.message || top.message} (${type})` };
  }
  const inner: Link = chain[chain.length - 1] ?? top;
  const permanent = UNRECOVERABLE.has(inner.name) || (inner.retriable === false && !WRAPPERS.has(inner.name));
  return { permanent, kind: inner.name || 'Error', text: top.message || top.name };
}
