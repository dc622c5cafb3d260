import type { IHeaders } from 'kafkajs';
import { vi } from 'vitest';
import { kafka, messageCount, randomName, track } from './eventsKafka.js';

// Reads back what a command published: every message of a topic, with a throwaway group, until
// as many arrived as the topic holds (its watermarks, read first), then disconnects.

export interface Published {
  partition: number;
  offset: string;
  key: string | null;
  keyBytes: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  json: Record<string, any> | null;
}

function jsonOf(value: Buffer | null): Record<string, any> | null {
  try {
    return value ? (JSON.parse(value.toString('utf8')) as Record<string, any>) : null;
  } catch {
    return null;
  }
}

export async function readTopic(topic: string, options: { timeout?: number } = {}): Promise<Published[]> {
  const expected = await messageCount(topic);
  if (expected === 0) return [];
  const received: Published[] = [];
  const consumer = track(kafka.consumer({ groupId: randomName('events-test-reader'), maxWaitTimeInMs: 200 }));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          keyBytes: message.key ?? null,
          value: message.value ?? null,
          headers: message.headers ?? {},
          json: jsonOf(message.value ?? null),
        });
      },
    });
    await vi.waitFor(() => {
      if (received.length < expected) throw new Error(`read ${received.length} of ${expected} messages of ${topic}`);
    }, { timeout: options.timeout ?? 20_000, interval: 50 });
  } finally {
    await consumer.disconnect();
  }
  return received.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** A header's value as text. */
export function headerText(headers: IHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString();
}
