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
