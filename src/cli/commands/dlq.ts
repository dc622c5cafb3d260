import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { writeJson, writeLine } from '../output.js';
import { parseWholeNumber } from '../parse.js';
import { RedeemctlError } from '../../shared/errors.js';
import { settingsFrom, withKafkaOptions, type KafkaFlags } from '../kafkaOptions.js';

// `redeemctl dlq list | redrive`: the dead-letter topic `<topic>.dlq` the worker writes.

interface ListOptions extends KafkaFlags {
  limit?: string;
}

interface RedriveOptions extends KafkaFlags {
  execute?: boolean;
  offset?: string[];
}

/** Another redrive holds the redrive group: exit 1, nothing sent. */
class RedriveBusyError extends RedeemctlError {}

export function registerDlqCommands(program: Command, cli: ProgramBuilder): void {
  const dlq = program.command('dlq').description('inspect the dead-letter topic and send its messages back');

  withKafkaOptions(
    dlq
      .command('list')
      .description('the messages of <topic>.dlq up to its current end: why, where from, and whether redriven')
      .option('--limit <n>', 'show at most this many'),
  ).action(
    cli.action<ListOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
      const { openSession } = await import('../../kafka/opsClients.js');
      const { readDeadLetters, viewOf } = await import('../../ops/deadLetters.js');
      const session = await openSession(settings, 'redeemctl-dlq', ctx.io.env);
      try {
        const listed = await readDeadLetters(session.kafka, session.admin, settings, 'start', { ...(limit !== undefined && { limit }) }, async (snapshot) => ({
          exists: snapshot.exists,
          complete: snapshot.complete,
          views: snapshot.messages.map(({ partition, message }) => viewOf(settings, partition, message, snapshot.marks.get(partition) ?? -1)),
        }));
        const redriven = listed.views.filter((v) => v.redriven).length;
        if (options.json) {
          writeJson(ctx.io, { topic: settings.dlqTopic, exists: listed.exists, count: listed.views.length, redriven, complete: listed.complete, messages: listed.views });
        } else writeLine(ctx.io, (await import('./render/events.js')).renderDeadLetters(ctx.io, settings.dlqTopic, listed.views, listed.exists));
        return 0;
      } finally {
        await session.close();
      }
    }),
  );

  withKafkaOptions(
    dlq
      .command('redrive')
      .description('send dead letters back to their origin topic, byte for byte; a preview unless --execute')
      .option('--execute', 'send them, and move the redrive mark past them')
      .option('--offset <P:O>', 'only this DLQ message (repeat, or P:O,P:O; in order within a partition)', (value: string, previous: string[] = []) => [...previous, value])
  ).action(
    cli.action<RedriveOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      const { parseOffsets, selectForRedrive } = await import('../../ops/redriveSelection.js');
      const wanted = options.offset === undefined ? undefined : parseOffsets(options.offset);
      const { connectOrExplain, groupState, openSession } = await import('../../kafka/opsClients.js');
      const { REDRIVE_GROUP, readDeadLetters, redrive, viewOf } = await import('../../ops/deadLetters.js');
      const session = await openSession(settings, 'redeemctl-dlq', ctx.io.env);
      try {
        const busy = await groupState(session.admin, REDRIVE_GROUP);
        if (busy.live) throw new RedriveBusyError(`Another dlq redrive is running (group ${REDRIVE_GROUP} is ${busy.state}); nothing sent. Try again when it is done.`);
        const done = await readDeadLetters(session.kafka, session.admin, settings, 'marks', {}, async (snapshot, consumer) => {
          const raw = new Map(snapshot.messages.map(({ partition, message }) => [`${partition}:${message.offset}`, message]));
          const candidates = snapshot.messages.map(({ partition, message }) => viewOf(settings, partition, message, -1));
          const selected = selectForRedrive(candidates, wanted, snapshot.marks);
          if (!options.execute || selected.length === 0 || !consumer) return { candidates, selected, committed: [], complete: snapshot.complete };
          const producer = session.kafka.producer({ allowAutoTopicCreation: false });
          await connectOrExplain(settings, () => producer.connect());
          try {
            return { candidates, selected, committed: await redrive(producer, consumer, settings, selected, raw), complete: snapshot.complete };
          } finally {
            await producer.disconnect().catch(() => {});
          }
        });
        const executed = Boolean(options.execute) && done.selected.length > 0;
        if (options.json) {
          writeJson(ctx.io, {
            topic: settings.dlqTopic,
            group: REDRIVE_GROUP,
            executed,
            candidates: done.candidates.length,
            selected: done.selected.length,
            redriven: executed ? done.selected.length : 0,
            complete: done.complete,
            messages: done.selected,
            committed: done.committed,
          });
        } else writeLine(ctx.io, (await import('./render/events.js')).renderRedrive(ctx.io, settings.dlqTopic, done.selected, executed));
        return 0;
      } finally {
        await session.close();
      }
    }),
  );
}
