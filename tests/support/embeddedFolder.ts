import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { whoHolds, type LockHolder } from '../../src/db/dataDirLock.js';
import { BIN, collectOutput, ensureDist, runBinary } from './cliHarness.js';
import type { TmuxSession } from './tuiTmux.js';

// One embedded data folder with the demo in it, for tests that run the built CLI as separate
// processes on it (tests/cli/embeddedLock*.test.ts): its hooks, and what those tests ask of it.

export interface Started {
  child: ChildProcess;
  done: ReturnType<typeof collectOutput>;
}

export class EmbeddedFolder {
  dir = '';
  dataDir = '';
  env: Record<string, string> = {};
  readonly children: ChildProcess[] = [];
  readonly sessions: TmuxSession[] = [];

  start(argv: string[]): Started {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: this.dir, env: { PATH: process.env.PATH ?? '', HOME: this.dir, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return { child, done: collectOutput(child) };
  }

  run(argv: string[], env: Record<string, string> = this.env) {
    return runBinary(argv, env, this.dir);
  }

  /** Until `pid` holds the data folder's lock; its statement then. */
  async untilHeldBy(pid: number, timeoutMs = 60_000): Promise<LockHolder> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const holder = await whoHolds(realpathSync(this.dataDir));
      if (holder?.pid === pid) return holder;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`pid ${pid} never took the lock of ${this.dataDir}`);
  }

  async balanceOf(email: string): Promise<number> {
    const q = await this.run(['quote', '--user', email, '--reward', 'COFFEE-MUG', '--json']);
    expect(q.stdout, q.stderr).toContain('"balance"');
    return (JSON.parse(q.stdout) as { balance: number }).balance;
  }

  grantsCsv(rows: number): string {
    const file = join(this.dir, `grants-${rows}-${Date.now()}.csv`);
    writeFileSync(file, 'email,reward_code,quantity,mode\n' + 'vip@example.com,TOTE-BAG,1,direct\n'.repeat(rows));
    return file;
  }

  /** Rows `batch status` counts as granted for one batch, over all its runs. */
  async grantedRows(batchId: string): Promise<number> {
    const r = await this.run(['batch', 'status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { batches: Array<{ batch_id: string; granted: number; status: string }> };
    const batch = doc.batches.find((b) => b.batch_id === batchId);
    expect(batch?.status).toBe('completed');
    return batch!.granted;
  }
}

/** A fresh folder with the demo for this test file; every process and terminal it started is stopped after each test. */
export function useEmbeddedFolder(): EmbeddedFolder {
  const folder = new EmbeddedFolder();
  beforeAll(async () => {
    await ensureDist();
    folder.dir = mkdtempSync(join(tmpdir(), 'redeemctl-lock-'));
    folder.dataDir = join(folder.dir, 'data');
    folder.env = { REDEEMCTL_DATA_DIR: folder.dataDir, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
    const demo = await folder.run(['demo', '--json']);
    expect(demo.code, demo.stderr).toBe(0);
  }, 180_000);
  afterEach(async () => {
    for (const child of folder.children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const session of folder.sessions.splice(0)) await session.kill();
  });
  afterAll(() => {
    if (folder.dir) rmSync(folder.dir, { recursive: true, force: true });
  });
  return folder;
}
