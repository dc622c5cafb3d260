import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { KafkaSettings } from '../kafka/settings.js';
import { done, type Outcome } from '../shared/outcome.js';
import { publishEvents } from './inject.js';
import { failedRequests, planReplays, replayEvents, type PlannedReplay, type ReplayCandidate } from './replay.js';
import { fileCandidates, readReplayFile } from './replayFile.js';
import type { SendRun } from './sendRun.js';

// `events replay` from start to end: the candidates (this merchant's failed requests, or a
// file's events), the plan (replay ids, and why the others are skipped), then the publish unless
// it is a dry run. Exit 0 whatever was skipped (docs/operations.md, "events replay").

export interface ReplayRequest {
  /** A JSON-lines file of events, or this merchant's failed requests, filtered. */
  from: { file: string } | { failed: { errorCode?: string; since?: Date } };
  /** At most this many replays, oldest first. */
  limit?: number | undefined;
  dryRun: boolean;
}

export interface ReplayReport {
  dry_run: boolean;
  topic: string;
  planned: number;
  published: number;
  plan: PlannedReplay[];
  skipped: Array<{ event_id: string; why: string }>;
}

/** `run`: progress and Ctrl-C for the publish (src/ops/sendRun.ts). */
export async function replayFailures(db: Kysely<Schema>, merchantId: string, settings: KafkaSettings, request: ReplayRequest, run?: SendRun): Promise<Outcome<ReplayReport>> {
  const { candidates, skipped } = await candidatesOf(db, merchantId, request.from);
  const result = await planReplays(db, merchantId, candidates, request.limit);
  // What the file could not offer comes first, then what the plan skipped.
  result.skipped.unshift(...skipped);
  if (!request.dryRun && result.plan.length > 0) await publishEvents(settings, replayEvents(result.plan, merchantId), 'redeemctl-replay', run);
  return done({
    dry_run: request.dryRun,
    topic: settings.topic,
    planned: result.plan.length,
    published: request.dryRun ? 0 : result.plan.length,
    plan: result.plan,
    skipped: result.skipped,
  });
}

async function candidatesOf(
  db: Kysely<Schema>,
  merchantId: string,
  from: ReplayRequest['from'],
): Promise<{ candidates: ReplayCandidate[]; skipped: Array<{ event_id: string; why: string }> }> {
  if ('file' in from) return fileCandidates(db, merchantId, await readReplayFile(from.file, merchantId));
  return { candidates: await failedRequests(db, merchantId, from.failed), skipped: [] };
}
