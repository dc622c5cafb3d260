import { describe, expect, it } from 'vitest';
import { PLAIN_EVERY_MS, Progress, progressMode, REDRAW_MS } from '../../src/shared/progress.js';
import { bar, eta, formatRate, percent, plainLine, RateMeter, terminalLine } from '../../src/shared/progressLine.js';

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

describe('the line of a counted operation (update)', () => {
  function stepped(stderr: { isTTY?: boolean; columns?: number }, env: Record<string, string> = {}) {
    let now = 0;
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { ...stderr, write: (t: string) => (err += t) }, env };
    const progress = new Progress(io, { now: () => now });
    return { progress, at: (ms: number) => (now = ms), lines: () => err.split(CLEAR).filter(Boolean), raw: () => err };
  }

  it('on a terminal: bar, percentage, done/total, the smoothed rate, and an ETA once the rate covers 500 ms', () => {
    const { progress, at, lines } = stepped({ isTTY: true, columns: 100 });
    progress.update({ label: 'importing codes', done: 0, total: 1_000_000 });
    at(200);
    progress.update({ label: 'importing codes', done: 20_000, total: 1_000_000 });
    at(6_000);
    progress.update({ label: 'importing codes', done: 520_000, total: 1_000_000 });
    expect(lines()).toEqual([
      'importing codes [░░░░░░░░░░░░░░░░░░░░░░░░] 0% 0/1,000,000',
      // 200 ms of samples: a rate, no ETA yet
      'importing codes [░░░░░░░░░░░░░░░░░░░░░░░░] 2% 20,000/1,000,000 · 100,000/s',
      // the window (5 s) keeps the sample at 200 ms: 500,000 in 5.8 s
      'importing codes [████████████░░░░░░░░░░░░] 52% 520,000/1,000,000 · 86,207/s · ETA 6s',
    ]);
  });

  it('never wider than the terminal: the detail goes, then the bar narrows, then the text is cut', () => {
    const state = { label: 'granting rows', done: 1_200, total: 3_000, detail: 'granted 1,180 · refused 20' };
    const rate = { perSecond: 400, steady: true };
    expect(terminalLine(state, rate, 120)).toBe('granting rows [█████████░░░░░░░░░░░░░░░] 40% 1,200/3,000 · 400/s · ETA 5s · granted 1,180 · refused 20');
    expect(terminalLine(state, rate, 80)).toBe('granting rows [█████████░░░░░░░░░░░░░░░] 40% 1,200/3,000 · 400/s · ETA 5s');
    expect(terminalLine(state, rate, 60)).toBe('granting rows [████░░░░░░] 40% 1,200/3,000 · 400/s · ETA 5s');
    expect(terminalLine(state, rate, 40)).toBe('granting rows 40% 1,200/3,000 · 400/s');
    for (const columns of [20, 40, 55, 60, 80, 120]) expect(terminalLine(state, rate, columns).length).toBeLessThan(columns);
  });

  it('an unknown total: the count and the rate, no bar, no percentage, no ETA', () => {
    const rate = { perSecond: 84_000.4, steady: true };
    expect(terminalLine({ label: 'exporting codes', done: 120_000 }, rate, 80)).toBe('exporting codes 120,000 · 84,000/s');
    expect(plainLine({ label: 'exporting codes', done: 120_000 }, rate)).toBe('exporting codes 120,000 · 84,000/s');
    expect(plainLine({ label: 'exporting codes', done: 0 }, { perSecond: null, steady: false })).toBe('exporting codes 0');
  });

  it('plain lines: the same facts, no bar and no escape codes, quiet for the first interval', () => {
    const { progress, at, raw } = stepped({ isTTY: false });
    progress.update({ label: 'reading codes.csv', done: 0, total: 50 * 1_048_576, unit: 'bytes', detail: '0 rows' });
    at(5_000);
    progress.update({ label: 'reading codes.csv', done: 10 * 1_048_576, total: 50 * 1_048_576, unit: 'bytes', detail: '400,000 rows' });
    expect(raw()).toBe('');
    at(10_000);
    progress.update({ label: 'reading codes.csv', done: 20 * 1_048_576, total: 50 * 1_048_576, unit: 'bytes', detail: '800,000 rows' });
    expect(raw()).toBe('reading codes.csv 40% 20.0/50.0 MB · 2.0 MB/s · ETA 15s · 800,000 rows\n');
    expect(raw()).not.toMatch(/\u001b|█|░/);
  });

  it('REDEEMCTL_PROGRESS chooses the mode (tty, plain, off) and REDEEMCTL_PROGRESS_EVERY_MS the interval; quiet prints nothing', () => {
    const pipe = { stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env: { REDEEMCTL_PROGRESS: 'tty' } };
    expect(progressMode(pipe)).toBe('tty');
    expect(progressMode({ ...pipe, env: { REDEEMCTL_PROGRESS: 'off' } })).toBe('off');
    expect(progressMode({ ...pipe, stderr: { ...pipe.stderr, isTTY: true }, env: { REDEEMCTL_PROGRESS: 'plain' } })).toBe('plain');
    expect(progressMode({ ...pipe, env: {} })).toBe('plain');
    expect(progressMode(pipe, { quiet: true })).toBe('off');
    const { progress, at, raw } = stepped({ isTTY: false }, { REDEEMCTL_PROGRESS_EVERY_MS: '50' });
    progress.update({ label: 'x', done: 1 });
    at(50);
    progress.update({ label: 'x', done: 2 });
    at(60);
    progress.update({ label: 'x', done: 3 }); // too soon
    expect(raw()).toBe('x 2 · 20/s\n');
    const off = stepped({ isTTY: true }, { REDEEMCTL_PROGRESS: 'off' });
    off.progress.update({ label: 'x', done: 1, total: 2 });
    off.progress.phase('checking');
    off.progress.done();
    expect(off.raw()).toBe('');
  });
});

describe('the pieces of a line', () => {
  it('bar: the share filled, clamped, at any width', () => {
    expect(bar(0, 10)).toBe('[░░░░░░░░░░]');
    expect(bar(0.5, 10)).toBe('[█████░░░░░]');
    expect(bar(1, 4)).toBe('[████]');
    expect(bar(1.7, 4)).toBe('[████]');
    expect(bar(Number.NaN, 4)).toBe('[░░░░]');
  });

  it('percent: never 100% before the last item', () => {
    expect(percent(0, 10)).toBe('0%');
    expect(percent(999_999, 1_000_000)).toBe('99%');
    expect(percent(1_000_000, 1_000_000)).toBe('100%');
    expect(percent(0, 0)).toBe('100%');
  });

  it('rates: grouped, a decimal when slow, MB/s for bytes', () => {
    expect(formatRate(84_000.4)).toBe('84,000/s');
    expect(formatRate(0.5)).toBe('0.5/s');
    expect(formatRate(3 * 1_048_576, 'bytes')).toBe('3.0 MB/s');
  });

  it('ETA: what is left at the rate, only once the rate is steady, in minutes and hours when long', () => {
    const state = { label: 'x', done: 100, total: 1_000 };
    expect(eta(state, { perSecond: 10, steady: true })).toBe('ETA 1m');
    expect(eta({ ...state, total: 100_000 }, { perSecond: 10, steady: true })).toBe('ETA 2h 46m');
    expect(eta(state, { perSecond: 10, steady: false })).toBeNull();
    expect(eta(state, { perSecond: 0, steady: true })).toBeNull();
    expect(eta({ label: 'x', done: 100 }, { perSecond: 10, steady: true })).toBeNull();
  });

  it('RateMeter: averaged over the window, restarted when the count goes back, steady once the samples span enough', () => {
    const meter = new RateMeter(5_000, 1_000);
    expect(meter.add(0, 0)).toEqual({ perSecond: null, steady: false });
    expect(meter.add(500, 50)).toEqual({ perSecond: 100, steady: false });
    expect(meter.add(1_000, 100)).toEqual({ perSecond: 100, steady: true });
    // a burst, then the old samples fall out of the window
    meter.add(2_000, 1_100);
    expect(meter.add(8_000, 1_700).perSecond).toBe(100);
    expect(meter.add(9_000, 10)).toEqual({ perSecond: null, steady: false });
  });
});
