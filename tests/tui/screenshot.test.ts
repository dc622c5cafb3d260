import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_GROUP, DEFAULT_TOPIC } from '../../src/kafka/settings.js';
import { BIN, ensureDist, REPO_ROOT } from '../support/cliHarness.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { admin, brokers, closeAll, createTopic, producer } from '../support/eventsKafka.js';
import { buildTuiDemo } from '../support/tuiDemo.js';
import { screenToPng } from '../support/tuiScreenshot.js';
import { TmuxSession } from '../support/tuiTmux.js';

// Makes docs/dash.png: the console at 160 × 45 in tmux, on a seeded demo merchant and the test
// broker, captured with its colours and drawn by ImageMagick. Not part of the suite (it writes
// into docs/ and needs ImageMagick): run it with
//   DASH_SCREENSHOT=docs/dash.png npx vitest run tests/tui/screenshot.test.ts

const out = process.env.DASH_SCREENSHOT;
const COLUMNS = 160;
const ROWS = 45;

let handle: TestDatabase | undefined;
let session: TmuxSession | undefined;
let cwd: string | undefined;
afterAll(async () => {
  await session?.kill();
  await handle?.drop();
  await closeAll();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe.runIf(out)('the screenshot', () => {
  it(`draws the console to ${out}`, { timeout: 300_000 }, async () => {
    cwd = await mkdtemp(join(tmpdir(), 'redeemctl-shot-'));
    [handle] = await Promise.all([createServerDatabase({ poolSize: 4 }), ensureDist()]);
    const s = await buildTuiDemo(handle.database.db, new Date());
    // Lag on the test broker: the worker's group 2, 0 and 26 messages behind on three partitions.
    await createTopic('dash-demo', 3, DEFAULT_TOPIC);
    const p = await producer();
    for (const [partition, n] of [[0, 120], [1, 95], [2, 130]] as const) {
      await p.send({ topic: DEFAULT_TOPIC, messages: Array.from({ length: n }, (_, i) => ({ partition, key: String(i), value: '{}' })) });
    }
    await (await admin()).setOffsets({ groupId: DEFAULT_GROUP, topic: DEFAULT_TOPIC, partitions: [{ partition: 0, offset: '118' }, { partition: 1, offset: '95' }, { partition: 2, offset: '104' }] });

    session = await TmuxSession.start({
      command: [process.execPath, BIN, 'dash', '--interval', '1', '--brokers', brokers],
      env: { PATH: process.env.PATH ?? '', HOME: cwd, TZ: 'UTC', DATABASE_URL: handle.url!, REDEEMCTL_MERCHANT: s.merchantId },
      cwd,
      columns: COLUMNS,
      rows: ROWS,
    });
    await session.waitFor(/LATTE-FREE[\s\S]*behind · group/, 30_000);
    await session.send('Down');
    await session.waitFor(/╭─ LATTE-FREE · Free latte[\s\S]*lots {6}MAR-B/);
    await new Promise((r) => setTimeout(r, 1_500));
    const ansi = await session.capture({ escapes: true });
    await writeFile(join(cwd, 'screen.ansi'), ansi);
    const target = resolve(REPO_ROOT, out!);
    await screenToPng(ansi, target, COLUMNS, ROWS);
    expect(ansi).toMatch(/\u001b\[[0-9;]*31m|\u001b\[[0-9;]*m!! EMPTY/);
  });
});
