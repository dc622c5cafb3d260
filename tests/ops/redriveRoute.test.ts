import { describe, expect, it } from 'vitest';
import type { DeadLetterView } from '../../src/ops/deadLetters.js';
import { routeForRedrive } from '../../src/ops/redriveSelection.js';

// Where `dlq redrive` sends: the configured topic only (or --to), and never past a message it
// did not send within a DLQ partition (the redrive mark is one offset per partition).

const view = (partition: number, offset: number, origin: string) => ({ partition, offset: String(offset), origin_topic: origin, event_id: `e${partition}-${offset}` }) as DeadLetterView;

describe('routeForRedrive', () => {
  const selected = [view(0, 0, 'main'), view(0, 1, 'other'), view(0, 2, 'main'), view(1, 0, 'main')];

  it('sends messages from the configured topic; skips another origin, and what follows it in its partition', () => {
    const route = routeForRedrive(selected, 'main', undefined);
    expect(route.destination).toBe('main');
    expect(route.send.map((v) => `${v.partition}:${v.offset}`)).toEqual(['0:0', '1:0']);
    expect(route.skipped).toEqual([
      expect.objectContaining({ partition: 0, offset: '1', why: 'origin topic other is not the configured topic main; pass --to other to send it there' }),
      expect.objectContaining({ partition: 0, offset: '2', why: 'behind 0:1, which is not sent (a partition goes back in order)' }),
    ]);
  });

  it('--to sends every selected message there, whatever its origin header says', () => {
    const route = routeForRedrive(selected, 'main', 'other');
    expect(route.destination).toBe('other');
    expect(route.send).toHaveLength(4);
    expect(route.skipped).toEqual([]);
  });
});
