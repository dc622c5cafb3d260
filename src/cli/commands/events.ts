import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { note, writeJson, writeLine } from '../output.js';
import { exactlyOne, parseWholeNumber } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { DEFAULT_GROUP } from '../../kafka/settings.js';
import { settingsFrom, withKafkaOptions, type KafkaFlags } from '../kafkaOptions.js';
import { registerDlqCommands } from './dlq.js';

// `redeemctl events …` (and, through dlq.ts, `redeemctl dlq …`). Thin: parse the flags, call
// src/ops/, print. Kafka, the database and the ops modules load inside the actions only.

interface InjectOptions extends KafkaFlags {
  user?: string;
  reward?: string;
  quantity?: string;
  count?: string;
  file?: string;
  eventId?: string;
}

interface TailOptions extends KafkaFlags {
  fromBeginning?: boolean;
  limit?: string;
  group?: string;
}

interface ReplayOptions extends KafkaFlags {
  failed?: boolean;
  errorCode?: string;
  since?: string;
  file?: string;
  dryRun?: boolean;
  limit?: string;
}

interface RewindOptions extends KafkaFlags {
  group: string;
  toTime?: string;
  toOffset?: string;
  byDuration?: string;
  execute?: boolean;
}

export function registerEventCommands(program: Command, cli: ProgramBuilder): void {
  const events = program.command('events').description('publish, watch, replay and rewind redemption events on Kafka');

  withKafkaOptions(
    events
      .command('inject')
      .description('publish redemption events for the merchant in context, as the HTTP API would (validated whole first)')
      .option('--user <user>', 'member: uuid, email or tel')
      .option('--reward <reward>', 'reward: uuid or reward_code')
      .option('--quantity <n>', 'units per event, 1..100 (the HTTP API range; default 1)')
      .option('--count <k>', 'publish K events, each with its own id, in one send (1..1000; default 1)')
      .option('--file <F.jsonl>', 'JSON lines: {user, reward, quantity?, event_id?} or a full event; one bad line publishes nothing')
      .option('--event-id <id>', 'the event id (with --count or --file: the base of <id>:<n>, so a re-run repeats the same ids)'),
  ).action(
    cli.action<InjectOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      const { readInjectFile, requestsFromFlags, API_MAX_QUANTITY } = await import('../../ops/injectInput.js');
      let items;
      if (options.file !== undefined) {
        const extra = (['user', 'reward', 'quantity', 'count'] as const).filter((k) => options[k] !== undefined);
        if (extra.length > 0) throw new UsageError(`--file takes members, rewards and quantities from the file: drop --${extra[0]}`);
        items = await readInjectFile(options.file, options.eventId);
      } else {
        if (options.user === undefined || options.reward === undefined) {
          throw new UsageError('Name what to publish: --user and --reward (with --quantity, --count), or --file F.jsonl');
        }
        const quantity = parseWholeNumber('--quantity', options.quantity ?? '1', 1, API_MAX_QUANTITY);
        const count = parseWholeNumber('--count', options.count ?? '1', 1, 1000);
        items = requestsFromFlags({ user: options.user, reward: options.reward, quantity, count, eventId: options.eventId });
      }
      const { publishEvents, resolveInjectItems } = await import('../../ops/inject.js');
      const resolution = await resolveInjectItems((await ctx.db()).db, await ctx.merchantId(), items);
      if (!resolution.ok) {
        if (options.json) writeJson(ctx.io, { success: false, error_code: resolution.errorCode, message: resolution.message, published: 0 });
        else writeLine(ctx.io, `REFUSED ${resolution.errorCode}: ${resolution.message}; nothing published`);
        return 1;
      }
      await publishEvents(settings, resolution.events, 'redeemctl-inject');
      if (options.json) writeJson(ctx.io, { published: resolution.events.length, topic: settings.topic, events: resolution.events });
      else writeLine(ctx.io, (await import('./render/events.js')).renderPublished(ctx.io, settings.topic, resolution.events));
      return 0;
    }),
  );

  withKafkaOptions(
    events
      .command('tail')
      .description('print each message of the topic as it arrives, until Ctrl-C (or --limit messages)')
      .option('--from-beginning', 'start at the oldest message (default: only new ones)')
      .option('--limit <n>', 'exit 0 after this many messages')
      .option('--group <group>', 'consumer group, committing what was shown (default: a throwaway group)'),
    'one JSON object per message, one per line (JSON lines: the exception to one document, as the stream has no end)',
  ).action(
    cli.action<TailOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000_000);
      if (options.group === DEFAULT_GROUP) {
        throw new UsageError(`--group ${DEFAULT_GROUP} is the worker's group: tail would take its messages and commit past them; use another name`);
      }
      const { openSession, throwawayGroup, topicOffsets } = await import('../../kafka/opsClients.js');
      const { tail } = await import('../../ops/tail.js');
      const { renderTailed } = await import('./render/events.js');
      const { watchInterrupt } = await import('../../shared/signals.js');
      const session = await openSession(settings, 'redeemctl-tail', ctx.io.env);
      const groupId = options.group ?? throwawayGroup('tail');
      // Ctrl-C or SIGTERM ends the tail (exit 0 after the count); a second one exits at once.
      const stop = watchInterrupt({ onSecond: () => {} });
      try {
        if (!(await topicOffsets(session.admin, settings.topic))) throw new UsageError(`Topic ${settings.topic} does not exist: check --topic or KAFKA_TOPIC`);
        const shown = await tail(session.kafka, {
          topic: settings.topic,
          groupId,
          commit: options.group !== undefined,
          fromBeginning: options.fromBeginning ?? false,
          ...(limit !== undefined && { limit }),
          signal: stop.signal,
          onReady: () => note(ctx.io, `Tailing ${settings.topic} (group ${groupId}); Ctrl-C to stop`),
          onMessage: (m) => writeLine(ctx.io, options.json ? JSON.stringify(m) : renderTailed(m)),
        });
        note(ctx.io, `${shown} message(s) shown`);
        return 0;
      } finally {
        stop.dispose();
        if (options.group === undefined) await session.admin.deleteGroups([groupId]).catch(() => {});
        await session.close();
      }
    }),
  );

  withKafkaOptions(
    events
      .command('replay')
      .description('re-publish failed requests as new events (replay_of = the original); never grants twice')
      .option('--failed', "this merchant's failed requests")
      .option('--error-code <code>', 'only failures with this error code (with --failed)')
      .option('--since <time>', 'only failures since an ISO time or a duration ago, e.g. 24h (with --failed)')
      .option('--file <F.jsonl>', 'events to replay (JSON lines); each must be a failed request of this merchant')
      .option('--dry-run', 'print the plan; publish nothing')
      .option('--limit <n>', 'replay at most this many (oldest first)'),
  ).action(
    cli.action<ReplayOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      if (Boolean(options.failed) === (options.file !== undefined)) throw new UsageError('Choose what to replay: --failed or --file F.jsonl');
      if (options.file !== undefined && (options.errorCode !== undefined || options.since !== undefined)) {
        throw new UsageError('--error-code and --since go with --failed');
      }
      const { ERROR_CODES } = await import('../../engine/types.js');
      if (options.errorCode !== undefined && !(ERROR_CODES as readonly string[]).includes(options.errorCode)) {
        throw new UsageError(`--error-code must be one of ${ERROR_CODES.join(', ')}, got ${JSON.stringify(options.errorCode)}`);
      }
      const { parseInstant } = await import('../../ops/durations.js');
      const since = options.since === undefined ? undefined : parseInstant('--since', options.since);
      const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
      const { db } = await ctx.db();
      const merchantId = await ctx.merchantId();
      const { failedRequests, planReplays, replayEvents } = await import('../../ops/replay.js');
      let candidates;
      let skipped: Array<{ event_id: string; why: string }> = [];
      if (options.file !== undefined) {
        const { fileCandidates, readReplayFile } = await import('../../ops/replayFile.js');
        ({ candidates, skipped } = await fileCandidates(db, merchantId, await readReplayFile(options.file, merchantId)));
      } else {
        candidates = await failedRequests(db, merchantId, { ...(options.errorCode !== undefined && { errorCode: options.errorCode }), ...(since && { since }) });
      }
      const result = await planReplays(db, merchantId, candidates, limit);
      result.skipped.unshift(...skipped);
      const dryRun = options.dryRun ?? false;
      if (!dryRun && result.plan.length > 0) {
        const { publishEvents } = await import('../../ops/inject.js');
        await publishEvents(settings, replayEvents(result.plan, merchantId), 'redeemctl-replay');
      }
      const published = dryRun ? 0 : result.plan.length;
      if (options.json) writeJson(ctx.io, { dry_run: dryRun, topic: settings.topic, planned: result.plan.length, published, plan: result.plan, skipped: result.skipped });
      else writeLine(ctx.io, (await import('./render/events.js')).renderReplay(ctx.io, settings.topic, result, dryRun));
      return 0;
    }),
  );

  withKafkaOptions(
    events
      .command('rewind')
      .description("move a stopped consumer group's offsets on the topic; a preview unless --execute")
      .requiredOption('--group <group>', `the consumer group (the worker's is ${DEFAULT_GROUP})`)
      .option('--to-time <time>', 'the first offset at or after this ISO-8601 time')
      .option('--to-offset <offset>', 'this offset on every partition, or PARTITION:OFFSET[,…] for some')
      .option('--by-duration <span>', 'the first offset at or after now minus this span, e.g. 15m, 2h')
      .option('--execute', 'move the offsets (refused while the group has live members)'),
  ).action(
    cli.action<RewindOptions>(async (ctx, options) => {
      const settings = settingsFrom(options, ctx.io.env);
      const [how, value] = exactlyOne<'toTime' | 'toOffset' | 'byDuration'>(options, { toTime: '--to-time', toOffset: '--to-offset', byDuration: '--by-duration' });
      const { parseDuration, parseInstant } = await import('../../ops/durations.js');
      const { applyRewind, parseOffsetTarget, planRewind } = await import('../../ops/rewind.js');
      const target =
        how === 'toOffset'
          ? parseOffsetTarget(value)
          : { to: 'time' as const, at: how === 'toTime' ? parseInstant('--to-time', value) : new Date(Date.now() - parseDuration('--by-duration', value)) };
      const { IDEMPOTENT_NOTE, renderRewind } = await import('./render/events.js');
      const { groupState, isKafkaError, openSession } = await import('../../kafka/opsClients.js');
      const session = await openSession(settings, 'redeemctl-rewind', ctx.io.env);
      try {
        const plan = await planRewind(session.admin, options.group, settings.topic, target);
        let outcome: 'preview' | 'executed' | 'refused' = options.execute ? (plan.live ? 'refused' : 'executed') : 'preview';
        let after: Map<number, number> | undefined;
        if (outcome === 'executed') {
          try {
            after = await applyRewind(session.admin, plan);
          } catch (error) {
            // kafkajs refuses too when a consumer joined since the check: the same answer.
            if (!isKafkaError(error) || !(await groupState(session.admin, options.group)).live) throw error;
            outcome = 'refused';
          }
        }
        if (options.json) {
          const partitions = plan.partitions.map((p) => ({ ...p, ...(after && { committed_after: after.get(p.partition) ?? null }) }));
          writeJson(ctx.io, { ...plan, partitions, outcome, executed: outcome === 'executed', note: IDEMPOTENT_NOTE });
        } else writeLine(ctx.io, renderRewind(ctx.io, plan, outcome));
        return outcome === 'refused' ? 1 : 0;
      } finally {
        await session.close();
      }
    }),
  );

  registerDlqCommands(program, cli);
}
