import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { note, writeLine } from '../output.js';
import { exactlyOne, parseChoice, parseWholeNumber } from '../parse.js';
import { UsageError } from '../../shared/errors.js';
import { DEFAULT_GROUP } from '../../kafka/settings.js';
import { settingsFrom, withKafkaOptions } from '../kafkaOptions.js';
import { emit } from '../emit.js';
import { describeTarget, targeted } from '../target.js';
import { openAudit, operatorIntent, withOperatorOptions } from '../operatorAction.js';
import { DEFAULT_REPLAY_WINDOW } from '../../ops/replayWindow.js';
import { registerDlqCommands } from './dlq.js';

// `redeemctl events …` (and, through dlq.ts, `redeemctl dlq …`): flags, then one function of
// src/ops/. Kafka, the database and the ops modules load inside the actions only. Every command
// resolves the Kafka settings first, so a missing one is exit 3 before any file or database.

interface InjectFlags {
  user?: string | undefined;
  reward?: string | undefined;
  quantity?: string | undefined;
  count?: string | undefined;
  file?: string | undefined;
  eventId?: string | undefined;
}

/** What to publish: the file's lines, or --count copies of the --user/--reward request. */
async function injectItems(options: InjectFlags) {
  const { readInjectFile, requestsFromFlags, API_MAX_QUANTITY } = await import('../../ops/injectInput.js');
  if (options.file !== undefined) {
    const extra = (['user', 'reward', 'quantity', 'count'] as const).filter((k) => options[k] !== undefined);
    if (extra.length > 0) throw new UsageError(`--file takes members, rewards and quantities from the file: drop --${extra[0]}`);
    return readInjectFile(options.file, options.eventId);
  }
  if (options.user === undefined || options.reward === undefined) {
    throw new UsageError('Name what to publish: --user and --reward (with --quantity, --count), or --file F.jsonl');
  }
  const quantity = parseWholeNumber('--quantity', options.quantity ?? '1', 1, API_MAX_QUANTITY);
  const count = parseWholeNumber('--count', options.count ?? '1', 1, 1000);
  return requestsFromFlags({ user: options.user, reward: options.reward, quantity, count, eventId: options.eventId });
}

function registerInject(events: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withOperatorOptions(
    withKafkaOptions(
      events
        .command('inject')
        .description('publish redemption events for the merchant in context, as the HTTP API would (validated whole first); a preview unless --execute')
        .option('--user <user>', 'member: uuid, email or tel')
        .option('--reward <reward>', 'reward: uuid or reward_code')
        .option('--quantity <n>', 'units per event, 1..100 (the HTTP API range; default 1)')
        .option('--count <k>', 'publish K events, each with its own id, in one send (1..1000; default 1)')
        .option('--file <F.jsonl>', 'JSON lines: {user, reward, quantity?, event_id?} or a full event; one bad line publishes nothing')
        .option('--event-id <id>', 'the event id (with --count or --file: the base of <id>:<n>, so a re-run repeats the same ids)'),
    ),
    'publish them, with the actor in each message',
  );
  cli.action(command, async (ctx, options) => {
    const settings = settingsFrom(options, ctx.io.env);
    const intent = operatorIntent(ctx, options);
    const items = await injectItems(options);
    const { injectEvents } = await import('../../ops/inject.js');
    const { renderPublished } = await import('./render/events.js');
    const { db, merchantId } = await ctx.scope();
    const run = intent ? { execute: true as const, audit: await openAudit(ctx, intent, true) } : { execute: false as const };
    const outcome = await injectEvents(db, merchantId, settings, items, run);
    return emit(ctx, targeted(outcome, describeTarget(ctx, settings)), renderPublished);
  });
}

/** A stream, not one document: each message is printed as it arrives (JSON lines with --json). */
function registerTail(events: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaOptions(
    events
      .command('tail')
      .description('print each message of the topic as it arrives, until Ctrl-C (or --limit messages)')
      .option('--from-beginning', 'start at the oldest message (default: only new ones)')
      .option('--limit <n>', 'exit 0 after this many messages')
      .option('--group <group>', 'consumer group, committing what was shown (default: a throwaway group)'),
    'one JSON object per message, one per line (JSON lines: the exception to one document, as the stream has no end)',
  );
  cli.action(command, async (ctx, options) => {
    const settings = settingsFrom(options, ctx.io.env);
    const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000_000);
    const { tailTopic } = await import('../../ops/tail.js');
    const { renderTailed } = await import('./render/events.js');
    const shown = await tailTopic(settings, ctx.io.env, {
      group: options.group,
      fromBeginning: options.fromBeginning ?? false,
      limit,
      onReady: (groupId) => note(ctx.io, `Tailing ${settings.topic} (group ${groupId}); Ctrl-C to stop`),
      onMessage: (m) => writeLine(ctx.io, options.json ? JSON.stringify(m) : renderTailed(m)),
    });
    note(ctx.io, `${shown} message(s) shown`);
    return 0;
  });
}

function registerReplay(events: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withOperatorOptions(
    withKafkaOptions(
      events
        .command('replay')
        .description('re-publish failed requests as new events (replay_of = the original); never grants twice; a preview unless --execute')
        .option('--failed', "this merchant's failed requests (of the last 24 h unless --since)")
        .option('--error-code <code>', 'only failures with this error code (with --failed)')
        .option('--since <time>', `only failures since an ISO time or a duration ago, e.g. 7d (with --failed; default: ${DEFAULT_REPLAY_WINDOW})`)
        .option('--file <F.jsonl>', 'events to replay (JSON lines); each must be a failed request of this merchant')
        .option('--dry-run', 'a preview, as without --execute: print the plan, publish nothing')
        .option('--limit <n>', 'replay at most this many (oldest first)'),
    ),
    'publish the replays',
  );
  cli.action(command, async (ctx, options, _args, self) => {
    const settings = settingsFrom(options, ctx.io.env);
    if (options.dryRun && options.execute) throw new UsageError('--dry-run and --execute contradict each other: leave out --execute for a preview');
    if (Boolean(options.failed) === (options.file !== undefined)) throw new UsageError('Choose what to replay: --failed or --file F.jsonl');
    if (options.file !== undefined && (options.errorCode !== undefined || options.since !== undefined)) {
      throw new UsageError('--error-code and --since go with --failed');
    }
    const intent = operatorIntent(ctx, options);
    const { ERROR_CODES } = await import('../../engine/types.js');
    const errorCode = options.errorCode === undefined ? undefined : parseChoice('--error-code', options.errorCode, ERROR_CODES);
    const { parseInstant } = await import('../../shared/durations.js');
    const since = options.since === undefined ? undefined : parseInstant('--since', options.since);
    const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
    const { replayFailures } = await import('../../ops/replayRun.js');
    const { sendsUntilStopped } = await import('../../ops/sendRun.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderReplay } = await import('./render/events.js');
    const { db, merchantId } = await ctx.scope();
    const audit = intent && (await openAudit(ctx, intent, true));
    const from = options.file !== undefined ? { file: options.file } : { failed: { ...(errorCode && { errorCode }), ...(since && { since }) } };
    const request = { from, limit, audit };
    const outcome = await sendsUntilStopped(ctx.io, 'replay', commandLine(self), (run) => replayFailures(db, merchantId, settings, request, run));
    return emit(ctx, targeted(outcome, describeTarget(ctx, settings)), renderReplay);
  });
}

function registerRewind(events: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withOperatorOptions(
    withKafkaOptions(
      events
        .command('rewind')
        .description("move a stopped consumer group's offsets on the topic; a preview unless --execute")
        .requiredOption('--group <group>', `the consumer group (the worker's is ${DEFAULT_GROUP})`)
        .option('--to-time <time>', 'the first offset at or after this ISO-8601 time')
        .option('--to-offset <offset>', 'this offset on every partition, or PARTITION:OFFSET[,…] for some')
        .option('--by-duration <span>', 'the first offset at or after now minus this span, e.g. 15m, 2h'),
    ),
    'move the offsets (refused while the group has live members)',
  );
  cli.action(command, async (ctx, options) => {
    const settings = settingsFrom(options, ctx.io.env);
    const [how, value] = exactlyOne(options, { toTime: '--to-time', toOffset: '--to-offset', byDuration: '--by-duration' });
    const intent = operatorIntent(ctx, options);
    const { parseDuration, parseInstant } = await import('../../shared/durations.js');
    const { parseOffsetTarget } = await import('../../ops/rewind.js');
    const target =
      how === 'toOffset'
        ? parseOffsetTarget(value)
        : { to: 'time' as const, at: how === 'toTime' ? parseInstant('--to-time', value) : new Date(Date.now() - parseDuration('--by-duration', value)) };
    const { rewindGroup } = await import('../../ops/rewindRun.js');
    const { renderRewind } = await import('./render/events.js');
    const audit = intent && (await openAudit(ctx, intent, false));
    const outcome = await rewindGroup(settings, ctx.io.env, { group: options.group, target, execute: intent !== undefined, audit });
    return emit(ctx, targeted(outcome, describeTarget(ctx, settings)), renderRewind);
  });
}

export function registerEventCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const events = program.command('events').description('publish, watch, replay and rewind redemption events on Kafka');
  registerInject(events, cli);
  registerTail(events, cli);
  registerReplay(events, cli);
  registerRewind(events, cli);
  registerDlqCommands(program, cli);
}
