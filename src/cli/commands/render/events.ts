import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { paint, table } from '../../output.js';
import { listingTable, type ListColumn, type Listing } from '../../listing.js';
import type { DeadLetterView } from '../../../ops/deadLetters.js';
import type { DeadLetterList } from '../../../ops/deadLetterList.js';
import type { Published } from '../../../ops/inject.js';
import type { RedriveReport } from '../../../ops/redrive.js';
import type { ReplayReport } from '../../../ops/replayRun.js';
import type { RewindReport } from '../../../ops/rewindRun.js';
import type { TailedMessage } from '../../../ops/tail.js';
import { DEFAULT_REPLAY_WINDOW } from '../../../ops/replayWindow.js';

// Human output of `events …` and `dlq …` (--json prints the reports of src/ops/ as they are).
// Counts and times in the formats of src/shared/format.ts; offsets and partitions are
// identifiers, printed raw.

/** The `Target: …` line of a report, when the command line set one (src/cli/target.ts). */
function targetLines(report: { target?: string }): string[] {
  return report.target ? [report.target] : [];
}

export function renderPublished(io: CliIO, result: Published): string {
  const { topic, events } = result;
  const n = formatCount(events.length);
  return [
    ...(result.executed ? [] : targetLines(result)),
    result.executed
      ? `${paint(io, 'green', 'OK')} Published ${n} event(s) to ${topic}`
      : `Preview: ${n} event(s) would be published to ${topic}; nothing sent. Run with --execute --reason TEXT to publish them.`,
    table(
      io,
      ['event id', { head: 'user id', drop: 2 }, { head: 'reward id', drop: 1 }, 'qty'],
      events.map((e) => [e.event_id, e.user_id, e.reward_id, formatCount(e.quantity)]),
    ),
  ].join('\n');
}

export function renderTailed(m: TailedMessage): string {
  const where = `p${m.partition} #${m.offset} key=${m.key ?? '-'}`;
  if (!m.event) return `${where} UNREADABLE ${m.error}: ${(m.value ?? '').slice(0, 120)}`;
  const e = m.event;
  const replay = e.replay_of ? ` replay_of=${e.replay_of}` : '';
  return `${where} event=${e.event_id} user=${e.user_id} reward=${e.reward_id} qty=${e.quantity}${replay} at=${formatTime(e.timestamp)}`;
}

/** Which failures `--failed` looked at: "failures since … (default window 24h; widen with --since)". */
export function replayWindowLine(result: Pick<ReplayReport, 'since' | 'window_default'>): string | null {
  if (result.since === null) return null;
  const how = result.window_default ? `default window ${DEFAULT_REPLAY_WINDOW}; widen with --since` : 'from --since';
  return `failures since ${result.since} (${how})`;
}

export function renderReplay(io: CliIO, result: ReplayReport): string {
  const { topic, dry_run: dryRun } = result;
  const lines: string[] = dryRun ? targetLines(result) : [];
  const window = replayWindowLine(result);
  if (window) lines.push(window);
  if (result.plan.length > 0) {
    lines.push(
      table(
        io,
        ['original event', 'error', 'member', 'reward', 'qty', { head: 'replay id', drop: 1 }],
        result.plan.map((p) => [p.original, p.error_code, p.member, p.reward, formatCount(p.quantity), p.replay_id]),
      ),
    );
  }
  if (result.skipped.length > 0) lines.push(table(io, ['skipped', 'why'], result.skipped.map((s) => [s.event_id, s.why])));
  const n = result.plan.length;
  if (dryRun) lines.push(`Preview: ${formatCount(n)} replay(s) planned, nothing published. Run with --execute --reason TEXT to publish them to ${topic}.`);
  else lines.push(`${paint(io, 'green', 'OK')} Published ${formatCount(n)} replay event(s) to ${topic}; ${formatCount(result.skipped.length)} skipped.`);
  return lines.join('\n');
}

export function renderRewind(io: CliIO, plan: RewindReport): string {
  const { outcome } = plan;
  const lines = [
    ...(outcome === 'executed' ? [] : targetLines(plan)),
    `Group ${plan.group} on ${plan.topic}: state ${plan.state}, ${formatCount(plan.members)} member(s)`,
    table(
      io,
      ['partition', { head: 'low', drop: 1 }, { head: 'high', drop: 2 }, 'committed', 'target', 're-delivered', 'note'],
      plan.partitions.map((p) => [
        p.partition,
        p.low,
        p.high,
        p.committed ?? 'none',
        p.target ?? '',
        p.redelivered === null ? '?' : formatCount(p.redelivered),
        p.note ?? (p.change ? '' : 'unchanged'),
      ]),
    ),
  ];
  if (outcome === 'refused') {
    lines.push(`${paint(io, 'red', 'REFUSED')} group ${plan.group} has live members (state ${plan.state}): stop its consumers (the worker) and run again. Nothing changed.`);
  } else if (outcome === 'executed') {
    lines.push(`${paint(io, 'green', 'OK')} Offsets moved: ${formatCount(plan.redelivered)} message(s) will be delivered again.`);
  } else {
    lines.push(`Preview: ${formatCount(plan.redelivered)} message(s) would be delivered again. Run with --execute --reason TEXT to move the offsets.`);
    if (plan.live) lines.push(paint(io, 'yellow', `The group has live members now: --execute will refuse until they stop.`));
  }
  lines.push(plan.note);
  return lines.join('\n');
}

function origin(v: DeadLetterView): string {
  return `${v.origin_topic}/${v.origin_partition ?? '?'}/${v.origin_offset ?? '?'}`;
}

const DEAD_LETTER_COLUMNS: Array<ListColumn<DeadLetterView>> = [
  { head: 'dlq p:offset', cell: (v) => `${v.partition}:${v.offset}` },
  { head: 'error code', cell: (v) => v.error_code },
  { head: 'reason', cell: (v) => v.reason },
  { head: 'origin topic/p/offset', drop: 2, cell: origin },
  { head: 'event id', cell: (v) => v.event_id },
  { head: 'failed at', drop: 4, time: true, cell: (v, f) => f.time(v.failed_at) },
  { head: 'redriven', drop: 3, cell: (v) => (v.redriven ? 'yes' : '') },
  { head: 'value', drop: 1, cell: (v) => v.preview.slice(0, 60) },
];

/**
 * `dlq list` as rows, for --output csv (src/cli/listing.ts): the command (src/cli/commands/dlq.ts)
 * passes it to emit as `listing`. Times in UTC: the topic is no one merchant's.
 */
export function deadLetterListing(list: DeadLetterList): Listing<DeadLetterView> {
  return { columns: DEAD_LETTER_COLUMNS, rows: list.exists ? list.messages : [] };
}

export function renderDeadLetters(io: CliIO, list: DeadLetterList): string {
  const { topic, messages: views, redriven } = list;
  if (!list.exists) return `No dead-letter topic ${topic} yet: nothing has been dead-lettered.`;
  return [
    listingTable(io, deadLetterListing(list)),
    `${formatCount(views.length)} message(s) in ${topic}; ${formatCount(redriven)} already redriven.`,
  ].join('\n');
}

export function renderRedrive(io: CliIO, report: RedriveReport): string {
  const { topic, messages: selected, executed, destination } = report;
  const lines = executed ? [] : targetLines(report);
  if (selected.length === 0 && report.skipped.length === 0) return [...lines, `Nothing to redrive: every message of ${topic} is behind the redrive mark.`].join('\n');
  if (selected.length > 0) {
    lines.push(
      table(
        io,
        ['dlq p:offset', { head: 'came from', drop: 1 }, 'goes to', 'event id', 'error code', 'parses now'],
        selected.map((v) => [`${v.partition}:${v.offset}`, origin(v), destination, v.event_id, v.error_code, v.parses ? 'yes' : `no: ${v.parse_error}`]),
      ),
    );
  }
  if (report.skipped.length > 0) lines.push(table(io, ['skipped', 'why'], report.skipped.map((s) => [`${s.partition}:${s.offset}`, s.why])));
  const unreadable = selected.filter((v) => !v.parses).length;
  if (unreadable > 0) lines.push(paint(io, 'yellow', `${formatCount(unreadable)} message(s) still do not parse: the worker will dead-letter them again.`));
  const skipped = report.skipped.length > 0 ? `; ${formatCount(report.skipped.length)} skipped` : '';
  lines.push(
    executed
      ? `${paint(io, 'green', 'OK')} Redrove ${formatCount(selected.length)} message(s) to ${destination}${skipped}.`
      : `Preview: ${formatCount(selected.length)} message(s) would go to ${destination}${skipped}. Run with --execute --reason TEXT to send them.`,
  );
  return lines.join('\n');
}
