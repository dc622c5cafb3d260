import { describe, expect, it } from 'vitest';
import { PLAIN_EVERY_MS, Progress, REDRAW_MS } from '../../src/shared/progress.js';

// The one progress line of the long commands: a rewritten line on a terminal, periodic plain
// lines elsewhere, always on stderr and never on stdout.

function harness(stderr: { isTTY?: boolean }, env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  let now = 1_000_000;
  const io = {
    stdout: { write: (t: string) => (out.stdout += t), isTTY: true },
    stderr: { ...stderr, write: (t: string) => (out.stderr += t) },
    env,
  };
  const progress = new Progress(io, { now: () => now });
  return { out, progress, at: (ms: number) => (now = 1_000_000 + ms) };
}

const CLEAR = '\r\u001b[2K';

describe('Progress on a terminal', () => {
  it('rewrites one line at most every 100 ms, a phase at once, and clears it when done', () => {
    const { out, progress, at } = harness({ isTTY: true });
    progress.tick('1 row');
    at(REDRAW_MS - 1);
    progress.tick('2 rows'); // too soon
    progress.phase('checking');
    at(2 * REDRAW_MS);
    progress.tick('3 rows');
    progress.done();
    expect(out.stderr).toBe(`${CLEAR}1 row${CLEAR}checking${CLEAR}3 rows${CLEAR}`);
    expect(out.stdout).toBe('');
  });

  it('done() writes nothing when nothing was shown', () => {
    const { out, progress } = harness({ isTTY: true });
    progress.done();
    expect(out.stderr).toBe('');
  });
});

describe('Progress elsewhere: plain lines', () => {
  it.each([
    ['a pipe', { isTTY: false }, {}],
    ['a terminal with TERM=dumb (it cannot rewrite a line)', { isTTY: true }, { TERM: 'dumb' }],
  ])('%s: quiet for 10 s, then a line at most every 10 s; phases once the quiet start is over', (_name, stderr, env) => {
    const { out, progress, at } = harness(stderr, env);
    progress.phase('reading');
    at(PLAIN_EVERY_MS - 1);
    progress.tick('early');
    expect(out.stderr).toBe('');
    at(PLAIN_EVERY_MS);
    progress.tick('10 s');
    at(PLAIN_EVERY_MS + 5_000);
    progress.tick('15 s: too soon');
    progress.phase('importing');
    at(3 * PLAIN_EVERY_MS);
    progress.tick('30 s');
    progress.done();
    expect(out.stderr).toBe('10 s\nimporting\n30 s\n');
    expect(out.stdout).toBe('');
  });

  it('the rewrite can be chosen, and elapsedMs counts from the start', () => {
    const { progress, at } = harness({ isTTY: false });
    at(2_500);
    expect(progress.elapsedMs).toBe(2_500);
    const out: string[] = [];
    const forced = new Progress({ stdout: { write: () => true }, stderr: { write: (t: string) => out.push(t) }, env: {} }, { rewrite: true });
    forced.tick('x');
    expect(out).toEqual([`${CLEAR}x`]);
  });
});
