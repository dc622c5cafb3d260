import { Text } from 'ink';
import { cleanup } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/tui/App.js';
import type { DataSource, Snapshot } from '../../src/tui/data/snapshot.js';
import { RefreshError } from '../../src/tui/data/refreshError.js';
import { useDashboardData } from '../../src/tui/hooks/useDashboardData.js';
import { renderAt } from '../support/tuiRender.js';
import { detailFor, POOLS, snapshot } from '../support/tuiSnapshot.js';

// The interactive console with a scripted data source: keys, pause, selection and detail, a
// failed refresh keeping the last good data, no refresh started while one runs.

beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterEach(() => cleanup());

const DOWN = '\u001b[B';
const UP = '\u001b[A';
const INTERVAL = 40;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source that answers snapshot() with the fixed snapshot, the detail of the selected pool. */
class FakeSource implements DataSource {
  calls: Array<string | null> = [];
  inFlight = 0;
  maxInFlight = 0;
  failWith: Error | undefined;
  hold: Promise<void> | undefined;
  closed = false;

  async snapshot(selected: string | null): Promise<Snapshot> {
    this.calls.push(selected);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.hold;
      if (this.failWith) throw this.failWith;
      const pool = POOLS.find((p) => p.reward_id === selected) ?? POOLS[0]!;
      return snapshot({ poolDetail: detailFor(pool.reward_code) });
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function start(source = new FakeSource()) {
  const r = renderAt(<App source={source} intervalMs={INTERVAL} />, 120, { rows: 40 });
  return { r, source };
}

const selectedRow = (text: string) => /› (!! EMPTY|! LOW|OK)\s+(\S+)/.exec(text)?.[2];

describe('the console', () => {
  it('shows the pools, then moves the selection with the arrows and the detail follows', async () => {
    const { r, source } = start();
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
    expect(selectedRow(r.text())).toBe('DRY');
    expect(r.text()).toContain('╭─ DRY · Pool DRY');

    r.stdin.write(DOWN);
    await vi.waitFor(() => expect(selectedRow(r.text())).toBe('NOCODES'));
    r.stdin.write(DOWN);
    await vi.waitFor(() => expect(selectedRow(r.text())).toBe('LOWPOOL'));
    // The detail is read for the new selection at once, not at the next tick.
    await vi.waitFor(() => expect(r.text()).toContain('╭─ LOWPOOL · Pool LOWPOOL'));
    await vi.waitFor(() => expect(r.text()).toContain('lots      A 10/20'));
    expect(source.calls).toContain(POOLS[2]!.reward_id);

    r.stdin.write(UP);
    await vi.waitFor(() => expect(selectedRow(r.text())).toBe('NOCODES'));
    for (let i = 0; i < 3; i++) r.stdin.write(UP);
    await vi.waitFor(() => expect(selectedRow(r.text())).toBe('DRY'));
    for (let i = 0; i < 9; i++) r.stdin.write('j');
    await vi.waitFor(() => expect(selectedRow(r.text())).toBe('IDLE'));
  });

  it('p pauses (PAUSED, no refresh) and p again resumes at once', async () => {
    const { r, source } = start();
    await vi.waitFor(() => expect(source.calls.length).toBeGreaterThan(2));
    r.stdin.write('p');
    await vi.waitFor(() => expect(r.lines().at(-1)).toMatch(/^PAUSED \(p resumes\) · showing data from 12:00:00Z/));
    await wait(INTERVAL); // a refresh under way when p was pressed may still end
    const paused = source.calls.length;
    await wait(INTERVAL * 5);
    expect(source.calls.length).toBe(paused);
    // Moving the selection while paused reads nothing either; the detail says why it waits.
    r.stdin.write(DOWN);
    await vi.waitFor(() => expect(r.text()).toContain('paused: read when resumed'));
    expect(source.calls.length).toBe(paused);
    r.stdin.write('p');
    await vi.waitFor(() => expect(source.calls.length).toBeGreaterThan(paused));
    await vi.waitFor(() => expect(r.lines().at(-1)).toMatch(/^updated 12:00:00Z · every 0.04s/));
    await vi.waitFor(() => expect(r.text()).toContain('╭─ NOCODES · Pool NOCODES'));
  });

  it('? shows the help and hides it again', async () => {
    const { r } = start();
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
    r.stdin.write('?');
    await vi.waitFor(() => expect(r.text()).toContain('Help · ? or esc closes'));
    expect(r.text()).toContain('pause / resume the refresh');
    expect(r.text()).not.toContain('!! EMPTY DRY');
    r.stdin.write('?');
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
  });

  it('q exits: the console unmounts and stops polling', async () => {
    const { r, source } = start();
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
    r.stdin.write('q');
    await wait(INTERVAL * 2);
    const calls = source.calls.length;
    const frames = r.frames.length;
    r.stdin.write(DOWN);
    await wait(INTERVAL * 5);
    expect(source.calls.length).toBe(calls);
    expect(r.frames.length).toBe(frames);
  });

  it('a failed refresh keeps the last good data and says so; the next good one clears it', async () => {
    const { r, source } = start();
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
    source.failWith = RefreshError.from(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6543'), { code: 'ECONNREFUSED' }));
    await vi.waitFor(() =>
      expect(r.lines().at(-1)).toBe('database unreachable: connect ECONNREFUSED 127.0.0.1:6543, showing data from 12:00:00Z'),
    );
    // The data stays, and the console keeps polling.
    expect(r.text()).toContain('!! EMPTY DRY');
    expect(r.text()).toContain('411 this hour');
    const failing = source.calls.length;
    await vi.waitFor(() => expect(source.calls.length).toBeGreaterThan(failing + 2));
    source.failWith = undefined;
    await vi.waitFor(() => expect(r.lines().at(-1)).toMatch(/^updated 12:00:00Z/));
  });

  it('never starts a refresh while one runs, however long it takes', async () => {
    const source = new FakeSource();
    let release: () => void = () => {};
    source.hold = new Promise<void>((resolve) => (release = resolve));
    const { r } = start(source);
    await wait(INTERVAL * 6);
    r.stdin.write(DOWN); // a selection while one runs asks for one more, after it
    r.stdin.write(DOWN);
    await wait(INTERVAL * 2);
    expect(source.calls).toHaveLength(1);
    expect(r.text()).toContain('Reading the database…');
    source.hold = undefined;
    release();
    await vi.waitFor(() => expect(r.text()).toContain('!! EMPTY DRY'));
    await vi.waitFor(() => expect(source.calls.length).toBeGreaterThan(3));
    expect(source.maxInFlight).toBe(1);
  });
});

describe('useDashboardData', () => {
  function Probe({ source, slowAfterMs }: { source: DataSource; slowAfterMs: number }) {
    const data = useDashboardData(source, { intervalMs: INTERVAL, paused: false, selectedId: null, slowAfterMs });
    return <Text>{`snapshot=${data.snapshot ? 'yes' : 'no'} slow=${data.slow} error=${data.error?.message ?? '-'}`}</Text>;
  }

  it('flags a refresh that runs long, and clears the flag when it ends', async () => {
    const source = new FakeSource();
    let release: () => void = () => {};
    source.hold = new Promise<void>((resolve) => (release = resolve));
    const r = renderAt(<Probe source={source} slowAfterMs={60} />, 80);
    await vi.waitFor(() => expect(r.text()).toBe('snapshot=no slow=true error=-'));
    source.hold = undefined;
    release();
    await vi.waitFor(() => expect(r.text()).toBe('snapshot=yes slow=false error=-'));
  });
});
