import type { Producer } from 'kafkajs';
import { createKafka } from './client.js';
import type { KafkaSettings } from './settings.js';
import type { RedemptionEvent } from './redemptionEvent.js';

/**
 * Publishes redemption events keyed by user_id (per-member order) and resolves only once every
 * in-sync replica acknowledged them (acks -1): the API answers 202 after that, never before.
 */
export class EventPublisher {
  private constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  static async connect(settings: KafkaSettings, clientId = 'redeemctl-publisher'): Promise<EventPublisher> {
    const kafka = await createKafka(settings, clientId);
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    return new EventPublisher(producer, settings.topic);
  }

  async publish(events: RedemptionEvent[], headers: Record<string, string> = {}): Promise<void> {
    if (events.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((event) => ({ key: event.user_id, value: JSON.stringify(event), headers })),
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}
