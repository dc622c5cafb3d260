import type { KafkaSettings } from '../kafka/settings.js';
import { connectOrExplain, groupState, openSession, type KafkaSession } from '../kafka/opsClients.js';
import { RedeemctlError } from '../shared/errors.js';
import { done, type Outcome } from '../shared/outcome.js';
import { REDRIVE_GROUP, readDeadLetters, redrive, viewOf, type DeadLetterView } from './deadLetters.js';
import { selectForRedrive } from './redriveSelection.js';
import type { SendRun } from './sendRun.js';

// `dlq redrive`: the dead letters at or after the redrive mark (or only those --offset names, in
// order within a partition), previewed, or with `execute` sent back to their origin topic byte for
// byte and the mark moved past them (docs/operations.md, "dlq list and dlq redrive").

/** Another redrive holds the redrive group: exit 1, nothing sent. */
export class RedriveBusyError extends RedeemctlError {}

export interface RedriveRequest {
  execute: boolean;
  /** Only these DLQ messages (parseOffsets); undefined: every candidate. */
  wanted: Array<{ partition: number; offset: number }> | undefined;
}

export interface RedriveReport {
  topic: string;
  group: string;
  executed: boolean;
  candidates: number;
  selected: number;
  redriven: number;
  complete: boolean;
  messages: DeadLetterView[];
  committed: Array<{ partition: number; offset: string }>;
}

/** `sending`: progress and Ctrl-C for the sends (src/ops/sendRun.ts). */
export async function redriveDeadLetters(settings: KafkaSettings, env: Record<string, string | undefined>, request: RedriveRequest, sending?: SendRun): Promise<Outcome<RedriveReport>> {
  const session = await openSession(settings, 'redeemctl-dlq', env);
  try {
    const busy = await groupState(session.admin, REDRIVE_GROUP);
    if (busy.live) throw new RedriveBusyError(`Another dlq redrive is running (group ${REDRIVE_GROUP} is ${busy.state}); nothing sent. Try again when it is done.`);
    const run = await selectAndSend(session, settings, request, sending);
    const executed = request.execute && run.selected.length > 0;
    return done({
      topic: settings.dlqTopic,
      group: REDRIVE_GROUP,
      executed,
      candidates: run.candidates.length,
      selected: run.selected.length,
      redriven: executed ? run.selected.length : 0,
      complete: run.complete,
      messages: run.selected,
      committed: run.committed,
    });
  } finally {
    await session.close();
  }
}

/** Reads from the marks, selects, and (executing) sends and commits while the redrive consumer holds the partitions. */
function selectAndSend(session: KafkaSession, settings: KafkaSettings, request: RedriveRequest, sending?: SendRun) {
  return readDeadLetters(session.kafka, session.admin, settings, 'marks', {}, async (snapshot, consumer) => {
    const raw = new Map(snapshot.messages.map(({ partition, message }) => [`${partition}:${message.offset}`, message]));
    const candidates = snapshot.messages.map(({ partition, message }) => viewOf(settings, partition, message, -1));
    const selected = selectForRedrive(candidates, request.wanted, snapshot.marks);
    const preview = { candidates, selected, committed: [] as Array<{ partition: number; offset: string }>, complete: snapshot.complete };
    if (!request.execute || selected.length === 0 || !consumer) return preview;
    const producer = session.kafka.producer({ allowAutoTopicCreation: false });
    await connectOrExplain(settings, () => producer.connect());
    try {
      return { ...preview, committed: await redrive(producer, consumer, settings, selected, raw, sending) };
    } finally {
      await producer.disconnect().catch(() => {});
    }
  });
}
