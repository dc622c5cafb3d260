import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { KafkaSettings } from '../kafka/settings.js';
import { actorHeaders } from '../kafka/actorHeader.js';
import { done, type Outcome } from '../shared/outcome.js';
import { eventIds, publishEvents } from './inject.js';
import { auditingFailure, recordOperation, type OperatorAudit } from './operatorAudit.js';
import { failedRequests, planReplays, replayEvents, type PlannedReplay, type ReplayCandidate } from './replay.js';
import { fileCandidates, readReplayFile } from './replayFile.js';
import { DEFAULT_REPLAY_WINDOW_MS } from './replayWindow.js';
import type { SendRun } from './sendRun.js';

// `events replay` from start to end: the candidates (this merchant's failed requests in a window,
// or a file's events), the plan (replay ids, and why the others are skipped), then, only with
// --execute, the publish and its audit row. Exit 0 whatever was skipped (docs/operations.md,
// "events replay").


export interface ReplayRequest {
  /** A JSON-lines file of events, or this merchant's failed requests, filtered (since: the window's start). */
  from: { file: string } | { failed: { errorCode?: string; since?: Date } };
  /** At most this many replays, oldest first. */
  limit?: number | undefined;
  /** Undefined: a preview. Else publish, recording who and why. */
  audit?: OperatorAudit | undefined;
  now?: Date;
}

export interface ReplayReport {
  /** What it acts on (database, topic, brokers), set by the command line: src/cli/target.ts. */
  target?: string;
  /** True for a preview (no --execute, or --dry-run): nothing published. */
  dry_run: boolean;
  executed: boolean;
  topic: string;
  /** --failed: the start of the window (ISO); null for --file. */
  since: string | null;
  /** True when --since was not given and the window is the default 24 h. */
  window_default: boolean;
  planned: number;
  published: number;
  plan: PlannedReplay[];
  skipped: Array<{ event_id: string; why: string }>;
}

/** `run`: progress and Ctrl-C for the publish (src/ops/sendRun.ts). */
export async function replayFailures(db: Kysely<Schema>, merchantId: string, settings: KafkaSettings, request: ReplayRequest, run?: SendRun): Promise<Outcome<ReplayReport>> {
  const window = windowOf(request.from, request.now ?? new Date());
  const { candidates, skipped } = await candidatesOf(db, merchantId, request.from, window.since);
  const result = await planReplays(db, merchantId, candidates, request.limit);
  // What the file could not offer comes first, then what the plan skipped.
  result.skipped.unshift(...skipped);
  const audit = request.audit;
  const report: ReplayReport = {
    dry_run: audit === undefined,
    executed: audit !== undefined,
    topic: settings.topic,
    since: window.since?.toISOString() ?? null,
    window_default: window.isDefault,
    planned: result.plan.length,
    published: 0,
    plan: result.plan,
    skipped: result.skipped,
  };
  if (audit === undefined || result.plan.length === 0) return done(report);
  const events = replayEvents(result.plan, merchantId);
  const record = (published: number, extra: Record<string, unknown> = {}) =>
    recordOperation(audit, 'events_replay', { type: 'topic', id: settings.topic }, {
      published,
      planned: result.plan.length,
      skipped: result.skipped.length,
      since: report.since,
      window_default: report.window_default,
      ...('file' in request.from ? { file: request.from.file } : { error_code: request.from.failed.errorCode ?? null }),
      ...eventIds(events.slice(0, published)),
      ...extra,
    });
  let sent = 0;
  await auditingFailure(
    () => publishEvents(settings, events, 'redeemctl-replay', { headers: actorHeaders(audit.actor), onSent: (n) => (sent += n), run }),
    () => sent,
    (partial) => record(partial.done, { error: partial.error }),
  );
  await record(events.length);
  return done({ ...report, published: events.length });
}

/** --failed: from --since, else the default window before `now`; --file has no window. */
function windowOf(from: ReplayRequest['from'], now: Date): { since: Date | undefined; isDefault: boolean } {
  if ('file' in from) return { since: undefined, isDefault: false };
  if (from.failed.since !== undefined) return { since: from.failed.since, isDefault: false };
  return { since: new Date(now.getTime() - DEFAULT_REPLAY_WINDOW_MS), isDefault: true };
}

async function candidatesOf(
  db: Kysely<Schema>,
  merchantId: string,
  from: ReplayRequest['from'],
  since: Date | undefined,
): Promise<{ candidates: ReplayCandidate[]; skipped: Array<{ event_id: string; why: string }> }> {
  if ('file' in from) return fileCandidates(db, merchantId, await readReplayFile(from.file, merchantId));
  return { candidates: await failedRequests(db, merchantId, { ...from.failed, ...(since && { since }) }), skipped: [] };
}
