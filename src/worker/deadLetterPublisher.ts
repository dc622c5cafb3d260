import type { KafkaMessage, Producer } from 'kafkajs';
import { deadLetterHeaders, type DeadLetterCode } from '../kafka/deadLetter.js';
import type { Origin } from './workerLog.js';

/**
 * Writes a message to the dead-letter topic: the original key and value byte for byte, the
 * original headers, and the DLQ headers of src/kafka/deadLetter.ts (the contract `dlq list` and
 * `dlq redrive` read). Resolves once every in-sync replica has it (acks -1): only then may the
 * worker move its offset past the original.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    readonly dlqTopic: string,
  ) {}

  async publish(
    message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
    origin: Origin,
    failure: { errorCode: DeadLetterCode; reason: string; eventId?: string | undefined },
  ): Promise<void> {
    const headers = deadLetterHeaders(
      {
        reason: failure.reason,
        errorCode: failure.errorCode,
        originTopic: origin.topic,
        originPartition: origin.partition,
        originOffset: origin.offset,
        failedAt: new Date().toISOString(),
        ...(failure.eventId !== undefined && { eventId: failure.eventId }),
      },
      message.headers ?? {},
    );
    await this.producer.send({
      topic: this.dlqTopic,
      acks: -1,
      messages: [{ key: message.key ?? null, value: message.value ?? null, headers }],
    });
  }
}
