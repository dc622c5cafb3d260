import type { Database } from '../db/database.js';
import type { RedeemResult } from '../engine/types.js';
import { done, type Outcome } from '../shared/outcome.js';
import * as story from './story.js';

// `redeemctl demo`: the whole story of src/demo/story.ts in order, gathered into one document (the
// --json output, and what the human rendering is made of). Running it again returns the stored
// results and changes nothing.

export async function runDemo(database: Database, actor: string) {
  const sc = { database, actor };
  const { applied, seeded } = await story.setUp(sc);
  const imported = await story.importPool(sc, seeded);
  const pricing = await story.pricing(sc, seeded);
  const redemptions: Record<string, RedeemResult> = {};
  const steps = story.redemptionSteps(seeded, actor);
  for (const step of steps) redemptions[step.request.eventId!] = await story.runRedemption(sc, step);
  const batch = await story.batchGrant(sc, seeded);
  const cancelled = await story.cancelPatternB(sc, seeded);
  const replay = await story.runRedemption(sc, steps[0]!);
  const { health, metrics } = await story.monitoring(sc, seeded);
  const balances = await story.balances(sc, seeded);
  return done({
    database: { backend: database.backend, location: database.location },
    applied,
    seed: seeded,
    import: imported,
    pricing: Object.fromEntries(pricing),
    redemptions,
    batch,
    cancel: cancelled,
    replay,
    pool_health: health,
    metrics,
    balances,
  });
}

export type DemoReport = Awaited<ReturnType<typeof runDemo>> extends Outcome<infer T> ? T : never;
