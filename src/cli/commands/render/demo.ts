import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { paint, table } from '../../output.js';
import type { DemoReport } from '../../../demo/runDemo.js';
import { redemptionSteps } from '../../../demo/story.js';
import { renderCancel, renderRedeem } from './redeem.js';
import { renderImport } from './codesImport.js';
import { renderRun } from './batch.js';
import { renderPoolHealth } from './poolHealth.js';
import { renderMetrics } from './metrics.js';

// The demo for a person: each step of the story under its heading, in the order it ran.

export function renderDemo(io: CliIO, r: DemoReport): string {
  const out: string[] = [];
  const heading = (text: string) => out.push('\n' + paint(io, 'bold', `== ${text}`));
  heading(`Database: ${r.database.backend} (${r.database.location})`);
  out.push(r.applied.length ? `Applied migrations: ${r.applied.join(', ')}` : 'Schema already current.');
  heading(`Seeded ${r.seed.merchant}: ${r.seed.users} members, ${r.seed.rewards} rewards`);
  heading('Import a code pool from CSV: fixtures/codes/demo-pool.csv into COFFEE-VOUCHER');
  out.push(renderImport(io, r.import));
  heading('Pricing: COFFEE-VOUCHER per member (tier beats persona beats tag; fallback 120)');
  out.push(table(io, ['member', 'points per unit'], Object.entries(r.pricing).map(([email, points]) => [email, formatCount(points)])));
  // The titles are the story's own; the actor does not change them.
  for (const step of redemptionSteps(r.seed, '')) {
    heading(step.title);
    out.push(renderRedeem(io, r.redemptions[step.request.eventId!]!));
  }
  heading('Batch grant from CSV: fixtures/grants/demo-grants.csv');
  out.push(renderRun(io, r.batch));
  heading('Cancel pattern B: refund the points, release the codes to the pool');
  out.push(renderCancel(io, r.cancel));
  heading('The same event delivered again: stored result, no second effect');
  out.push(renderRedeem(io, r.replay));
  heading('Pool health');
  out.push(renderPoolHealth(io, r.pool_health));
  heading('Metrics, last 24 hours');
  out.push(renderMetrics(io, r.metrics));
  heading('Balances now');
  out.push(table(io, ['member', 'points'], r.balances.map((b) => [b.email, formatCount(b.points_balance)])));
  out.push('\nNext: `redeemctl quote --user vip@example.com --reward COFFEE-VOUCHER`, `redeemctl pool health`, `redeemctl --help`.');
  return out.join('\n');
}
