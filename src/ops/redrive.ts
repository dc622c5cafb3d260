import type { KafkaSettings } from '../kafka/settings.js';
import { connectOrExplain, groupState, openSession, topicOffsets, type KafkaSession } from '../kafka/opsClients.js';
import { RedeemctlError, UsageError } from '../shared/errors.js';
import { done, type Outcome } from '../shared/outcome.js';
import { readDeadLetters, redriveGroup, redrive, viewOf, type DeadLetterView } from './deadLetters.js';
import { auditingFailure, recordOperation, type OperatorAudit } from './operatorAudit.js';
import type { SendRun } from './sendRun.js';
import { routeForRedrive, selectForRedrive, type RedriveRoute } from './redriveSelection.js';

// `dlq redrive`: the dead letters at or after the redrive mark (or only those --offset names, in
// order within a partition), previewed, or with `execute` sent byte for byte to the configured
// topic (or --to) and the mark moved past them; a message whose origin header names another topic
// is skipped unless --to says where (docs/operations.md, "dlq list and dlq redrive").

/** Another redrive holds the redrive group: exit 1, nothing sent. */
export class RedriveBusyError extends RedeemctlError {}

export interface RedriveRequest {
  execute: boolean;
  /** Only these DLQ messages (parseOffsets); undefined: every candidate. */
  wanted: Array<{ partition: number; offset: number }> | undefined;
  /** --to: send every selected message to this topic (it must exist). */
  to?: string | undefined;
  /** Who and why, recorded once messages went back (required to execute). */
  audit?: OperatorAudit | undefined;
}

export interface RedriveReport {
  /** What it acts on (database, topic, brokers), set by the command line: src/cli/target.ts. */
  target?: string;
  topic: string;
  group: string;
  /** Where the messages go: --to, else the configured topic. */
  destination: string;
  executed: boolean;
  candidates: number;
  selected: number;
  redriven: number;
  complete: boolean;
  /** The messages sent (or, in a preview, that would be). */
  messages: DeadLetterView[];
  skipped: RedriveRoute['skipped'];
  committed: Array<{ partition: number; offset: string }>;
}

/** `sending`: progress and Ctrl-C for the sends (src/ops/sendRun.ts). */
export async function redriveDeadLetters(settings: KafkaSettings, env: Record<string, string | undefined>, request: RedriveRequest, sending?: SendRun): Promise<Outcome<RedriveReport>> {
  const session = await openSession(settings, 'redeemctl-dlq', env);
  try {
    if (request.to !== undefined && !(await topicOffsets(session.admin, request.to))) {
      throw new UsageError(`--to ${request.to}: no such topic; name an existing topic to redrive to`);
    }
    const group = redriveGroup(settings.dlqTopic);
    const busy = await groupState(session.admin, group);
    if (busy.live) throw new RedriveBusyError(`Another dlq redrive is running (group ${group} is ${busy.state}); nothing sent. Try again when it is done.`);
    const run = await selectAndSend(session, settings, request, sending);
    const executed = request.execute && run.route.send.length > 0;
    return done({
      topic: settings.dlqTopic,
      group: redriveGroup(settings.dlqTopic),
      destination: run.route.destination,
      executed,
      candidates: run.candidates.length,
      selected: run.selected.length,
      redriven: executed ? run.route.send.length : 0,
      complete: run.complete,
      messages: run.route.send,
      skipped: run.route.skipped,
      committed: run.committed,
    });
  } finally {
    await session.close();
  }
}

/** Reads from the marks, selects, routes, and (executing) sends and commits while the redrive consumer holds the partitions. */
function selectAndSend(session: KafkaSession, settings: KafkaSettings, request: RedriveRequest, sending?: SendRun) {
  return readDeadLetters(session.kafka, session.admin, settings, 'marks', {}, async (snapshot, consumer) => {
    const raw = new Map(snapshot.messages.map(({ partition, message }) => [`${partition}:${message.offset}`, message]));
    const candidates = snapshot.messages.map(({ partition, message }) => viewOf(settings, partition, message, -1));
    const selected = selectForRedrive(candidates, request.wanted, snapshot.marks);
    const route = routeForRedrive(selected, settings.topic, request.to);
    const preview = { candidates, selected, route, committed: [] as Array<{ partition: number; offset: string }>, complete: snapshot.complete };
    if (!request.execute || route.send.length === 0 || !consumer) return preview;
    const producer = session.kafka.producer({ allowAutoTopicCreation: false });
    await connectOrExplain(settings, () => producer.connect());
    let sent = 0;
    try {
      const committed = await auditingFailure(
        () => redrive(producer, consumer, settings, route, raw, (n) => (sent = n), sending),
        () => sent,
        (partial) => recordRedrive(request.audit, settings, route, partial.done, [], partial.error),
      );
      await recordRedrive(request.audit, settings, route, route.send.length, committed);
      return { ...preview, committed };
    } finally {
      await producer.disconnect().catch(() => {});
    }
  });
}

function recordRedrive(
  audit: OperatorAudit | undefined,
  settings: KafkaSettings,
  route: RedriveRoute,
  redriven: number,
  committed: Array<{ partition: number; offset: string }>,
  error?: string,
): Promise<void> {
  if (!audit) return Promise.resolve();
  return recordOperation(audit, 'dlq_redrive', { type: 'topic', id: settings.dlqTopic }, {
    destination: route.destination,
    redriven,
    skipped: route.skipped.length,
    offsets: route.send.slice(0, 100).map((v) => `${v.partition}:${v.offset}`),
    committed,
    ...(error !== undefined && { error, committed_mark: false }),
  });
}
