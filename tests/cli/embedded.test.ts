import { readMigrationFiles } from '../../src/db/migrations.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, ensureDist, runBinary } from '../support/cliHarness.js';

// The built binary on the embedded default (PGlite in REDEEMCTL_DATA_DIR), with no DATABASE_URL:
// "every command works on a fresh machine with no server, and the state persists between
// commands" (docs/conventions.md). Three processes in all: each boots PGlite (seconds).

let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  await ensureDist();
  dir = mkdtempSync(join(tmpdir(), 'redeemctl-embedded-'));
  // Exactly this environment: no DATABASE_URL, no merchant, a fixed actor, no colour.
  env = { REDEEMCTL_DATA_DIR: join(dir, 'data'), REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('redeemctl on the embedded database', () => {
  it('demo on a fresh folder walks through patterns A, B and C, a refusal and a cancel', async () => {
    const r = await runBinary(['demo'], env, dir);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`== Database: pglite (${join(dir, 'data')})`);
    expect(out).toContain(`Applied migrations: ${readMigrationFiles().map((f) => f.name).join(', ')}`);
    expect(out).toContain('OK Imported 5 codes of 5 rows into COFFEE-VOUCHER');
    expect(out).toContain('== Seeded Demo Coffee Co: 8 members, 7 rewards');
    expect(out).toContain('OK Redeemed 3 x COFFEE-MUG for 600 points [pattern A]');
    expect(out).toContain('OK Redeemed 3 x COFFEE-VOUCHER for 180 points [pattern B]');
    expect(out).toContain('REFUSED INSUFFICIENT_CODES: Only 14 code(s) available, you requested 100');
    expect(out).toContain('REFUSED NOT_ELIGIBLE: Not eligible for this reward: tier');
    expect(out).toContain('REFUSED INSUFFICIENT_POINTS: Insufficient points. Required: 200, Available: 100');
    expect(out).toContain('OK Cancelled 3 redemption(s), refunding 180 points, 3 code(s) released');
    expect(out).toContain('(already processed: the stored result)');
    expect(out).toMatch(/DONE batch b-[0-9a-f]{16} from .*demo-grants\.csv/);
    expect(out).toContain('== Pool health');
    expect(out).toMatch(/ALERT LOW COFFEE-VOUCHER: \d+ code\(s\) available \(threshold 50\)/);
    expect(out).toContain('== Metrics, last 24 hours');
    // Through a pipe: plain columns, two spaces apart, no borders (docs/output.md).
    expect(out).toMatch(/^bronze@example\.com {2,}900$/m);
    expect(out).toMatch(/^gold\.student\.vip@example\.com {2,}4,880$/m);
    expect(out).not.toMatch(/[┌│└]/);
    expect(out).not.toMatch(ANSI);
  });

  it('demo --json again on the same folder: one JSON document, every step replayed from the stored results', async () => {
    const r = await runBinary(['demo', '--json'], env, dir);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      applied: string[];
      database: { backend: string };
      redemptions: Record<string, { success: boolean; idempotent: boolean; error_code: string | null }>;
      cancel: { success: boolean; info_code?: string; cancelled: number };
      replay: { idempotent: boolean };
      balances: Array<{ email: string; points_balance: number }>;
    };
    expect(doc.database.backend).toBe('pglite');
    expect(doc.applied).toEqual([]);
    expect(Object.keys(doc.redemptions)).toEqual([
      'demo-pattern-a',
      'demo-pattern-b',
      'demo-pattern-c',
      'demo-not-eligible',
      'demo-insufficient-points',
      'demo-goodwill',
    ]);
    for (const [eventId, result] of Object.entries(doc.redemptions)) {
      expect({ eventId, idempotent: result.idempotent }).toEqual({ eventId, idempotent: true });
    }
    expect(doc.redemptions['demo-pattern-a']).toMatchObject({ success: true });
    expect(doc.redemptions['demo-pattern-c']).toMatchObject({ success: false, error_code: 'INSUFFICIENT_CODES' });
    expect(doc.cancel).toMatchObject({ success: true, info_code: 'ALREADY_CANCELLED', cancelled: 0 });
    expect(doc.replay.idempotent).toBe(true);
    // Nothing charged twice: the balances are those the first run left (gold.student.vip: 5000,
    // pattern B refunded by the cancel, 2 vouchers at 60 from the batch grant).
    expect(Object.fromEntries(doc.balances.map((b) => [b.email, b.points_balance]))).toMatchObject({
      'bronze@example.com': 900,
      'gold.student.vip@example.com': 4880,
      'newbie@example.com': 100,
    });
  });

  it('redeem --json afterwards works on the persisted state', async () => {
    const r = await runBinary(['redeem', '--user', 'bronze@example.com', '--reward', 'COFFEE-MUG', '--json'], env, dir);
    expect(r.code, r.stderr).toBe(0);
    // 1500 seeded, 600 spent by the demo's pattern A, 200 now.
    expect(JSON.parse(r.stdout)).toMatchObject({ success: true, total_quantity: 1, total_points_deducted: 200, new_balance: 700, pattern: 'A' });
  });
});
