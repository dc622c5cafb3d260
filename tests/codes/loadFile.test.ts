import { describe, expect, it } from 'vitest';
import type { RawConnection } from '../../src/db/database.js';
import type { CodeRow } from '../../src/codes/checkRow.js';
import { ChunkFeed } from '../../src/codes/chunkFeed.js';
import { loadFile, type LoadPlan } from '../../src/codes/loadFile.js';
import { copyLine } from '../../src/codes/stage.js';

// The parts of an import (src/codes/loadFile.ts, chunkFeed.ts) without a database: how the file is
// cut, and which INSERT each part gets (optimistic in a savepoint, careful after a duplicate or past
// the savepoint limit, none once the import is refused). docs/codes.md, "How an import runs".

const row = (line: number, problem: string | null = null): CodeRow => ({
  line, code: `C-${line}`, lot: null, partner: null, expiresAt: null, expiresDate: null, problem,
});

async function* batches(rows: CodeRow[], size = 3, failAt?: number): AsyncGenerator<CodeRow[]> {
  for (let i = 0; i < rows.length; i += size) {
    if (failAt !== undefined && i >= failAt) throw new Error('the file broke');
    yield rows.slice(i, i + size);
  }
}

async function readAll(feed: ChunkFeed): Promise<{ texts: string[]; totals: { rows: number; valid: number }[] }> {
  const texts: string[] = [];
  const totals: { rows: number; valid: number }[] = [];
  while (await feed.nextChunk()) {
    let text = '';
    for await (const piece of feed.pieces()) text += piece;
    texts.push(text);
    totals.push(feed.last);
  }
  await feed.close();
  return { texts, totals };
}

describe('ChunkFeed', () => {
  it('cuts the rows into chunks that double up to maxRows, with their totals, the text being COPY lines in file order', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 2, i === 10 ? 'bad' : null));
    const { texts, totals } = await readAll(new ChunkFeed(batches(rows), { firstRows: 4, maxRows: 16, maxChunkChars: 1 << 20 }));
    expect(totals).toEqual([{ rows: 4, valid: 4 }, { rows: 8, valid: 7 }, { rows: 16, valid: 16 }, { rows: 12, valid: 12 }]);
    expect(texts.join('')).toBe(rows.map(copyLine).join(''));
  });

  it('ends a chunk at maxChunkChars too', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 2));
    const per = copyLine(rows[0]!).length;
    const { totals } = await readAll(new ChunkFeed(batches(rows), { firstRows: 100, maxRows: 100, maxChunkChars: per * 3 }));
    expect(totals.map((t) => t.rows)).toEqual([3, 3, 3, 1]);
  });

  it("passes the file's error on to the reader", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(i + 2));
    const feed = new ChunkFeed(batches(rows, 3, 12), { firstRows: 4, maxRows: 4, maxChunkChars: 1 << 20 });
    await expect(readAll(feed)).rejects.toThrow('the file broke');
  });

  it('close() stops a producer that waits for room', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => row(i + 2));
    const feed = new ChunkFeed(batches(rows, 100), { firstRows: 10, maxRows: 10, maxChunkChars: 64 });
    expect(await feed.nextChunk()).toBe(true);
    await feed.close(); // returns although nothing read the rest
  });
});

/** A connection that records what it is asked and refuses the optimistic INSERT of the parts in `duplicateIn`. */
function fakeConnection(duplicateIn: Set<number>) {
  const log: string[] = [];
  let part = -1;
  const conn: RawConnection = {
    async exec(text) {
      if (text.startsWith('create temp table codes_stage_')) part++;
      log.push(text.startsWith('create temp table') ? `part ${part}` : text);
    },
    async query(text) {
      if (text.startsWith('insert into reward_promo_code')) {
        log.push('optimistic insert');
        if (duplicateIn.has(part)) throw Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'reward_promo_code_unique' });
        return { rows: [] };
      }
      log.push('careful insert');
      return { rows: [{ n: 2 } as never] };
    },
    async copyFrom(_text, source) {
      for await (const piece of source) void piece;
      return 0;
    },
  };
  return { conn, log };
}

const plan = (over: Partial<LoadPlan> = {}): LoadPlan => ({
  target: { merchantId: 'm', reward: { id: 'r', rewardCode: 'R', timeZone: 'UTC' }, batchId: 'b' },
  refused: () => false,
  checkpoint: () => {},
  limits: { feed: { firstRows: 4, maxRows: 4, maxChunkChars: 1 << 20 }, maxSavepoints: 3 },
  ...over,
});

describe('loadFile', () => {
  const rows = Array.from({ length: 20 }, (_, i) => row(i + 2)); // five parts of 4

  it('inserts optimistically in savepoints, then carefully past the savepoint limit', async () => {
    const { conn, log } = fakeConnection(new Set());
    const loaded = await loadFile(conn, batches(rows), plan());
    expect(log.filter((l) => !l.startsWith('part '))).toEqual([
      ...Array.from({ length: 3 }, () => ['savepoint codes_part', 'optimistic insert', 'release savepoint codes_part']).flat(),
      'careful insert',
      'careful insert',
    ]);
    // The careful parts counted 2 of their 4 codes (the fake says so): duplicates to mark.
    expect(loaded).toEqual({ inserted: 3 * 4 + 2 * 2, duplicates: true, stopped: false, parts: 5 });
  });

  it('a duplicate: that part again carefully, and every later part careful', async () => {
    const { conn, log } = fakeConnection(new Set([1]));
    const loaded = await loadFile(conn, batches(rows), plan({ limits: { feed: { firstRows: 4, maxRows: 4, maxChunkChars: 1 << 20 }, maxSavepoints: 60 } }));
    expect(log.filter((l) => !l.startsWith('part '))).toEqual([
      'savepoint codes_part', 'optimistic insert', 'release savepoint codes_part',
      'savepoint codes_part', 'optimistic insert', 'rollback to savepoint codes_part; release savepoint codes_part', 'careful insert',
      'careful insert', 'careful insert', 'careful insert',
    ]);
    expect(loaded).toMatchObject({ inserted: 4 + 4 * 2, duplicates: true, stopped: false });
  });

  it('refused (an invalid row, all or nothing): the parts after it are staged, not inserted; no target: staged only', async () => {
    let asked = 0;
    const { conn, log } = fakeConnection(new Set());
    // The invalid row shows up while the second part is read: the first part is in, no other.
    const loaded = await loadFile(conn, batches(rows), plan({ refused: () => asked++ >= 1 }));
    expect(log.filter((l) => l === 'optimistic insert' || l === 'careful insert')).toEqual(['optimistic insert']);
    expect(loaded).toEqual({ inserted: 4, duplicates: false, stopped: true, parts: 5 });

    const staged = fakeConnection(new Set());
    expect(await loadFile(staged.conn, batches(rows), plan({ target: null }))).toEqual({ inserted: 0, duplicates: false, stopped: false, parts: 5 });
    expect(staged.log.every((l) => l.startsWith('part '))).toBe(true);
  });
});
