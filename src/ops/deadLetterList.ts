import type { KafkaSettings } from '../kafka/settings.js';
import { openSession } from '../kafka/opsClients.js';
import { done, type Outcome } from '../shared/outcome.js';
import { readDeadLetters, viewOf, type DeadLetterView } from './deadLetters.js';

// `dlq list`: the messages of <topic>.dlq up to its current end, each marked whether it has been
// redriven (below the redrive group's committed offset: docs/operations.md, "dlq list and dlq redrive").

export interface DeadLetterList {
  topic: string;
  /** Has anything ever been dead-lettered (does the DLQ topic exist)? */
  exists: boolean;
  count: number;
  redriven: number;
  /** false: the read stopped before the end (nothing moved for a while). */
  complete: boolean;
  messages: DeadLetterView[];
}

export async function listDeadLetters(settings: KafkaSettings, env: Record<string, string | undefined>, limit: number | undefined): Promise<Outcome<DeadLetterList>> {
  const session = await openSession(settings, 'redeemctl-dlq', env);
  try {
    const listed = await readDeadLetters(session.kafka, session.admin, settings, 'start', { ...(limit !== undefined && { limit }) }, async (snapshot) => ({
      exists: snapshot.exists,
      complete: snapshot.complete,
      views: snapshot.messages.map(({ partition, message }) => viewOf(settings, partition, message, snapshot.marks.get(partition) ?? -1)),
    }));
    return done({
      topic: settings.dlqTopic,
      exists: listed.exists,
      count: listed.views.length,
      redriven: listed.views.filter((v) => v.redriven).length,
      complete: listed.complete,
      messages: listed.views,
    });
  } finally {
    await session.close();
  }
}
