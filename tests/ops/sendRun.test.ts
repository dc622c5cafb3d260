import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { redrive, type DeadLetterView } from '../../src/ops/deadLetters.js';
import { SendsInterruptedError, stoppedMessage, type SendRun } from '../../src/ops/sendRun.js';
import type { KafkaSettings } from '../../src/kafka/settings.js';

// The send loop of `dlq redrive` stopped by Ctrl-C (fakes for the producer and the consumer): the
// mark moves past exactly what was sent, so the same command sends the rest and nothing twice;
// and the messages that say so. (Through the built CLI: tests/cli/progress.test.ts.)

const settings = { dlqTopic: 'orders.dlq', topic: 'orders' } as KafkaSettings;

function letters(partition: number, count: number): { views: DeadLetterView[]; raw: Map<string, KafkaMessage> } {
  const views: DeadLetterView[] = [];
  const raw = new Map<string, KafkaMessage>();
  for (let offset = 0; offset < count; offset++) {
    views.push({ partition, offset: String(offset), origin_topic: 'orders' } as DeadLetterView);
    raw.set(`${partition}:${offset}`, { key: null, value: Buffer.from(`m${offset}`), headers: {}, offset: String(offset) } as unknown as KafkaMessage);
  }
  return { views, raw };
}

describe('redrive stopped between two sends', () => {
  it('sends whole chunks, reports each, then commits the mark past what went out before saying it stopped', async () => {
    const p0 = letters(0, 700);
    const p1 = letters(1, 500);
    const selected = [...p0.views, ...p1.views];
    const raw = new Map([...p0.raw, ...p1.raw]);
    const sentCounts: number[] = [];
    const controller = new AbortController();
    const produced: number[] = [];
    const producer = { send: async ({ messages }: { messages: unknown[] }) => void produced.push(messages.length) } as unknown as Producer;
    const commits: unknown[] = [];
    const consumer = { commitOffsets: async (c: unknown[]) => void commits.push(...c) } as unknown as Consumer;
    const run: SendRun = {
      onSent: (sent, total) => {
        sentCounts.push(sent);
        expect(total).toBe(1_200);
        if (sent === 1_000) controller.abort('SIGINT'); // Ctrl-C during the second chunk
      },
      signal: controller.signal,
    };
    const error = await redrive(producer, consumer, settings, { destination: 'orders', send: selected }, raw, () => {}, run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendsInterruptedError);
    expect(error).toMatchObject({ signalName: 'SIGINT', sent: 1_000, total: 1_200 });
    expect((error as SendsInterruptedError).left).toHaveLength(200);
    expect((error as SendsInterruptedError).left[0]).toBe('1:300');
    expect(sentCounts).toEqual([500, 1_000]);
    expect(produced).toEqual([500, 500]);
    // Partition 0 fully sent (0..699), partition 1 up to 299: the next run starts at 1:300.
    expect(commits).toEqual([
      { topic: 'orders.dlq', partition: 0, offset: '700' },
      { topic: 'orders.dlq', partition: 1, offset: '300' },
    ]);
  });

  it('a signal after the last send changes nothing: all committed, no error', async () => {
    const { views, raw } = letters(0, 3);
    const controller = new AbortController();
    const producer = { send: async () => undefined } as unknown as Producer;
    const consumer = { commitOffsets: async () => undefined } as unknown as Consumer;
    const committed = await redrive(producer, consumer, settings, { destination: 'orders', send: views }, raw, () => {}, {
      onSent: () => controller.abort('SIGTERM'),
      signal: controller.signal,
    });
    expect(committed).toEqual([{ partition: 0, offset: '3' }]);
  });
});

describe('what a stopped replay or redrive says', () => {
  it('replay: how many were published, and why running it again grants nothing twice', () => {
    expect(stoppedMessage('replay', new SendsInterruptedError('SIGINT', 2_000, 5_000), 'redeemctl events replay --failed')).toBe(
      'Interrupted by SIGINT: 2,000 of 5,000 replays published; the rest were not sent.\n' +
        'Running the same command again is safe: a replay the worker has not recorded yet is planned under the same id ' +
        '(a redelivery, answered with its first result), one that succeeded is skipped, so nothing is granted twice:\n' +
        '  redeemctl events replay --failed',
    );
  });

  it('redrive: the mark moved past what was sent; with --offset, which offsets are left', () => {
    const error = new SendsInterruptedError('SIGTERM', 500, 1_200, ['1:300', '1:301']);
    expect(stoppedMessage('redrive', error, 'redeemctl dlq redrive --execute')).toBe(
      'Interrupted by SIGTERM: 500 of 1,200 dead letters sent back, and the redrive mark moved past them; the rest were not sent.\n' +
        'Running the same command again is safe: it starts at the mark, so it sends the rest and none of these twice:\n' +
        '  redeemctl dlq redrive --execute',
    );
    expect(stoppedMessage('redrive', error, 'redeemctl dlq redrive --execute --offset 1:299,1:300,1:301')).toBe(
      'Interrupted by SIGTERM: 500 of 1,200 dead letters sent back, and the redrive mark moved past them; the rest were not sent.\n' +
        'The --offset messages not sent: 1:300,1:301; redrive them with --offset 1:300,1:301 (the ones sent are below the mark now and would be refused).',
    );
  });
});
