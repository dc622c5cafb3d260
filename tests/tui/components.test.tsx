import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { ConsumerLag } from '../../src/tui/components/ConsumerLag.js';
import { Dashboard, type DashboardProps } from '../../src/tui/components/Dashboard.js';
import { Failures } from '../../src/tui/components/Failures.js';
import { Help } from '../../src/tui/components/Help.js';
import { Latency } from '../../src/tui/components/Latency.js';
import { LatestFailures } from '../../src/tui/components/LatestFailures.js';
import { PoolDetail } from '../../src/tui/components/PoolDetail.js';
import { PoolTable } from '../../src/tui/components/PoolTable.js';
import { QuantityBars } from '../../src/tui/components/QuantityBars.js';
import { StatusLine } from '../../src/tui/components/StatusLine.js';
import { Throughput } from '../../src/tui/components/Throughput.js';
import { WorkerState } from '../../src/tui/components/WorkerState.js';
import { layoutFor } from '../../src/tui/layout.js';
import { cells, renderAt, type Rendered } from '../support/tuiRender.js';
import { AT, detailFor, EXPECTED_ORDER, METRICS, PER_MINUTE, POOLS, snapshot } from '../support/tuiSnapshot.js';

// The panels against a snapshot with known numbers (tests/support/tuiSnapshot.ts), rendered by
// ink-testing-library at 80 and 160 columns with colour pinned off, and on where colour is the point.
// The machine's zone is 9 hours off UTC: every time on screen is still UTC, marked `Z`.

beforeAll(() => {
  process.env.TZ = 'Asia/Tokyo';
});
afterEach(() => cleanup());

const props = (columns: number, extra: Partial<DashboardProps> = {}): DashboardProps => ({
  snapshot: snapshot(),
  error: null,
  paused: false,
  slow: false,
  selectedId: null,
  help: false,
  columns,
  intervalMs: 2000,
  ...extra,
});

function expectFits(r: Rendered, width: number): void {
  const lines = r.lines();
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(cells(line), line).toBeLessThanOrEqual(width);
}

/** The pool rows of a frame, as [mark, code], in screen order. */
function poolRows(text: string): Array<[string, string]> {
  return [...text.matchAll(/│ [› ] (!! EMPTY|! LOW|OK)\s+(\S+)/g)].map((m) => [m[1]!, m[2]!]);
}

describe.each([80, 160])('the whole frame at %i columns', (width) => {
  it('keeps every line within the width', () => {
    expectFits(renderAt(<Dashboard {...props(width)} once />, width), width);
    expectFits(renderAt(<Dashboard {...props(width, { rows: 24 })} />, width), width);
    expectFits(renderAt(<Dashboard {...props(width, { rows: 48, paused: true })} />, width), width);
  });

  it('lists the pools soonest empty first, with the alert marks', () => {
    const text = renderAt(<Dashboard {...props(width)} once />, width).text();
    expect(poolRows(text)).toEqual([
      ['!! EMPTY', 'DRY'],
      ['!! EMPTY', 'NOCODES'],
      ['! LOW', 'LOWPOOL'],
      ['OK', 'HOT'],
      ['OK', 'STEADY'],
      ['OK', 'IDLE'],
    ]);
    expect(text).toContain('redeemctl dash · 6 pools: 2 EMPTY, 1 LOW · 1h: 21 requests, 5 failed');
  });

  it('never makes the frame taller than the terminal', () => {
    for (const rows of [24, 30, 48]) {
      const r = renderAt(<Dashboard {...props(width, { rows })} />, width);
      expect(r.lines().length, `${width}x${rows}`).toBeLessThanOrEqual(rows - 1);
    }
  });
});

describe('layout at 80 and 160 columns', () => {
  it('stacks the panels at 80 columns', () => {
    const lines = renderAt(<Dashboard {...props(80)} once />, 80).lines();
    const titles = lines.filter((l) => l.startsWith('╭─ ')).map((l) => l.slice(3).split(' ')[0]);
    expect(titles).toEqual(['Pools', 'DRY', 'Throughput', 'Failures', 'Latency', 'Consumer', 'Worker', 'Quantity', 'Latest']);
    // One panel per line: no line holds two boxes side by side.
    expect(lines.filter((l) => (l.match(/╭/g) ?? []).length > 1)).toEqual([]);
  });

  it('puts the pools left and the figures right at 160 columns', () => {
    const lines = renderAt(<Dashboard {...props(160)} once />, 160).lines();
    expect(lines[1]).toMatch(/^╭─ Pools .*╮╭─ Throughput .*╮$/);
    expect(cells(lines[1]!)).toBe(160);
    expect(lines.some((l) => /DRY · Pool DRY.*╮│ /.test(l) || /╭─ DRY · Pool DRY/.test(l))).toBe(true);
    // The pool rows and the chart share lines.
    expect(lines.find((l) => l.includes('!! EMPTY DRY'))).toMatch(/│ {2}11 ┤|│ +│/);
  });
});

describe('PoolTable', () => {
  const table = (width: number, extra: { selected?: number; rows?: number } = {}) => {
    const layout = layoutFor({ columns: width }, { pools: 6, failureCodes: 0, latestFailures: 0, partitions: null, worker: false });
    return renderAt(
      <PoolTable
        pools={POOLS}
        selected={extra.selected ?? 0}
        rows={extra.rows ?? 6}
        fields={layout.poolFields}
        rewardWidth={layout.rewardWidth}
        width={layout.columns[0]!.width}
        threshold={50}
        at={AT}
      />,
      width,
    );
  };

  it.each([80, 160])('shows the figures of each pool at %i columns', (width) => {
    const r = table(width);
    expectFits(r, width);
    const row = (code: string) => r.lines().find((l) => new RegExp(`\\s${code}\\s`).test(l))!.replace(/\s+/g, ' ');
    // reward, available, per hour, empty in, empty at, total (and short 24h at 160)
    expect(row('DRY')).toContain('› !! EMPTY DRY 0 0 now 5');
    expect(row('LOWPOOL')).toContain('! LOW LOWPOOL 10 10 1h 13:00Z 20');
    expect(row('HOT')).toContain('OK HOT 60 12 5h 17:00Z 100');
    expect(row('STEADY')).toContain('OK STEADY 151 2 3d 3h 30m 06-04 15:30Z 200');
    expect(row('IDLE')).toContain('OK IDLE 80 0 never 80');
    if (width === 160) expect(row('LOWPOOL')).toContain('20 2 │');
    expect(r.lines()[0]).toContain('Pools · 6 by time until empty · 3 alerts · LOW below 50');
  });

  it('marks the selected row and scrolls to keep it in view', () => {
    const r = table(80, { selected: 5, rows: 3 });
    expect(poolRows(r.text()).map(([, code]) => code)).toEqual(['HOT', 'STEADY', 'IDLE']);
    expect(r.text()).toContain('› OK       IDLE');
    expect(r.text()).toContain('↑ 3 more');
  });

  it('colours EMPTY red and LOW yellow, and uses no escape at all with colour off', () => {
    const layout = { fields: [], rewardWidth: 20 };
    const colour = renderAt(<PoolTable pools={POOLS} selected={0} rows={6} {...layout} width={80} threshold={50} at={AT} />, 80, { colour: true });
    const frame = colour.lastFrame()!;
    expect(frame).toMatch(/\u001b\[31m(\u001b\[1m)?!! EMPTY/);
    expect(frame).toMatch(/\u001b\[33m(\u001b\[1m)?! LOW/);
    expect(frame).toMatch(/\u001b\[32mOK/);
    const plain = renderAt(<PoolTable pools={POOLS} selected={0} rows={6} {...layout} width={80} threshold={50} at={AT} />, 80, { colour: false });
    expect(plain.lastFrame()).not.toMatch(/\u001b\[/);
  });

  it('says so when there is no pool', () => {
    expect(renderAt(<PoolTable pools={[]} selected={-1} rows={0} fields={[]} rewardWidth={20} width={80} threshold={50} at={AT} />, 80).text()).toContain(
      'No active pool rewards.',
    );
  });
});

describe('PoolDetail', () => {
  const hot = POOLS.find((p) => p.reward_code === 'HOT')!;
  it.each([80, 160])('shows counts, pace, the last hours, expiring codes and lots at %i columns', (width) => {
    const r = renderAt(<PoolDetail pool={hot} detail={detailFor('HOT')} paused={false} width={width} />, width);
    expectFits(r, width);
    const text = r.text();
    expect(text).toContain('HOT · Pool HOT');
    expect(text).toContain('OK 60 available of 100 · 30 redeemed · 1 voided · 9 expired');
    expect(text).toContain('12/h (1h 12, 24h 24) · empty in 5h (06-01 17:00Z)');
    expect(text).toContain('████████████ units/hour, peak 1');
    expect(text).toContain('3 within 24h · 10 within 7d · next 06-02 10:00Z');
    expect(text).toContain('lots      A 60/100');
  });

  it('waits for the detail of a newly selected pool, and says why while paused', () => {
    const other = snapshot().poolDetail; // DRY's
    expect(renderAt(<PoolDetail pool={hot} detail={other} paused={false} width={80} />, 80).text()).toContain('loading…');
    expect(renderAt(<PoolDetail pool={hot} detail={other} paused width={80} />, 80).text()).toContain('paused: read when resumed');
  });
});

describe('Throughput', () => {
  it.each([80, 160])('charts 60 minutes with the total and the peak at %i columns', (width) => {
    const panel = width === 80 ? 80 : 72;
    const r = renderAt(<Throughput perMinute={PER_MINUTE} perColumn={1} height={3} width={panel} />, width);
    expectFits(r, width);
    const lines = r.lines();
    expect(lines[1]).toContain('411 this hour · avg 6.8/min · peak 11 · last 2');
    const chart = lines.slice(2, 5).map((l) => l.slice(l.indexOf('┤') >= 0 ? l.indexOf('┤') + 1 : l.indexOf('│', 2) + 1));
    // The 19 minutes at 11 reach the top row; the 40 at 5 stop below it; the last minute is low.
    expect(chart[0]!.slice(0, 60)).toBe(' '.repeat(40) + '█'.repeat(19) + ' ');
    expect(chart[2]!.slice(0, 60)).toBe('█'.repeat(59) + '▄');
    expect(lines[2]).toMatch(/│\s+11 ┤/);
    expect(lines[5]).toContain('└-60m');
  });

  it('groups minutes when narrow', () => {
    const r = renderAt(<Throughput perMinute={PER_MINUTE} perColumn={2} height={3} width={50} />, 50);
    expect(r.text()).toContain('per 2 min');
    expect(r.text()).toContain('411 this hour · avg 6.8/min · peak 22 · last');
    expect(r.text()).toMatch(/│ {2}22 ┤ {20}█{9} /);
  });
});

describe('QuantityBars', () => {
  it.each([80, 160])('draws the histogram with counts, shares and the average at %i columns', (width) => {
    const panel = width === 80 ? 80 : 72;
    const r = renderAt(<QuantityBars quantity={METRICS.quantity} width={panel} />, width);
    expectFits(r, width);
    const bars = Object.fromEntries(
      r.lines().slice(1, 7).map((l) => {
        const [, bucket, blocks, n, share] = /│ (\S+)\s+([█▏▎▍▌▋▊▉]*)\s+(\d+)\s+([\d.]+%)/.exec(l)!;
        return [bucket, { width: blocks!.length, n: Number(n), share }];
      }),
    );
    expect(Object.keys(bars)).toEqual(['1', '2-5', '6-10', '11-50', '51-100', '>100']);
    expect(bars['1']).toMatchObject({ n: 11, share: '55.0%' });
    expect(bars['2-5']).toMatchObject({ n: 5, share: '25.0%' });
    expect(bars['>100']).toMatchObject({ n: 1, share: '5.0%' });
    // Bars in proportion: 11 is the longest, 5 is 5/11 of it (to a cell).
    expect(Math.abs(bars['2-5']!.width - (bars['1']!.width * 5) / 11)).toBeLessThanOrEqual(1);
    expect(r.text()).toContain('average 12.60 · 1: 55.0% · more than 1: 45.0% · 20 requests');
  });
});

describe('Latency', () => {
  it.each([80, 160])('gives p50 / p95 / p99 against the target at %i columns', (width) => {
    const r = renderAt(<Latency latency={METRICS.latency_ms} width={width === 80 ? 80 : 72} />, width);
    expectFits(r, width);
    const text = r.text().replace(/ +/g, ' ');
    expect(text).toContain('p50 p95 p99 samples');
    expect(text).toContain('processing 300 ms 570 ms 594 ms 21 p99 over 500 ms');
    expect(text).toContain('end to end 390 ms 624 ms 645 ms 5');
  });

  it('says ok when p99 is within the target', () => {
    const ok = { ...METRICS.latency_ms, processing: { ...METRICS.latency_ms.processing, p99: 120, over_target: false } };
    expect(renderAt(<Latency latency={ok} width={80} />, 80).text()).toContain('ok < 500 ms');
  });
});

describe('Failures', () => {
  it.each([80, 160])('counts failures by error code at %i columns', (width) => {
    const r = renderAt(<Failures metrics={METRICS} width={width === 80 ? 80 : 72} />, width);
    expectFits(r, width);
    expect(r.text()).toContain('21 requests · 16 ok · 5 failed (23.8%)');
    const rows = r.lines().slice(2, 6).map((l) => l.replace(/[│█▏▎▍▌▋▊▉]/g, '').trim().split(/\s+/));
    expect(rows).toEqual([['INSUFFICIENT_POINTS', '2'], ['INSUFFICIENT_CODES', '1'], ['INVALID_QUANTITY', '1'], ['REWARD_NOT_FOUND', '1']]);
  });

  it('folds codes beyond six into one line, and says when there is none', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ error_code: `CODE_${i}`, count: 8 - i }));
    const r = renderAt(<Failures metrics={{ ...METRICS, failures_by_code: many }} width={80} />, 80);
    expect(r.text()).toContain('+ 3 more codes, 6 failures');
    expect(r.lines()).toHaveLength(2 + 1 + 6);
    expect(renderAt(<Failures metrics={{ ...METRICS, failures: 0, failures_by_code: [] }} width={80} />, 80).text()).toContain('no failures');
  });
});

describe('LatestFailures', () => {
  it.each([80, 160])('lists the newest failures first at %i columns', (width) => {
    const r = renderAt(<LatestFailures failures={snapshot().latestFailures} rows={3} width={width === 80 ? 80 : 88} />, width);
    expectFits(r, width);
    const rows = r.lines().slice(2, 5).map((l) => l.replace('│', '').trim().split(/\s+/));
    expect(rows).toEqual([
      ['11:59:00Z', 'REWARD_NOT_FOUND', '–', '1', 'evt-0005', '│'],
      ['11:58:00Z', 'INVALID_QUANTITY', 'PLAIN', '0', 'evt-0004', '│'],
      ['11:57:00Z', 'INSUFFICIENT_CODES', 'LOWPOOL', '15', 'evt-0003', '│'],
    ]);
  });
});

describe('ConsumerLag and WorkerState', () => {
  it.each([80, 160])('show lag per partition and the worker at %i columns', (width) => {
    const s = snapshot();
    const lag = renderAt(<ConsumerLag lag={s.lag!} width={width === 80 ? 80 : 72} />, width);
    expectFits(lag, width);
    expect(lag.text()).toContain('Consumer lag · crm-reward-consumer on reward_redemptions');
    expect(lag.text()).toContain('17 behind · group Stable, 1 member');
    expect(lag.text().replace(/ +/g, ' ')).toMatch(/p0 120 \/ 130 10 █+/);
    expect(lag.text().replace(/ +/g, ' ')).toContain('p2 – / 7 7');
    const worker = renderAt(<WorkerState worker={s.worker!} width={width === 80 ? 80 : 72} />, width);
    expectFits(worker, width);
    expect(worker.text()).toContain('UP');
    expect(worker.text()).toContain('processed dead_lettered 1 · idempotent 2 · refused 5 · succeeded 120');
    expect(worker.text()).toContain('failures 6 · retries 3 · lag p0 10 p1 0 p2 7');
  });

  it('show an unreachable broker or worker in their panel, with the last known figures', () => {
    const s = snapshot();
    const lag = renderAt(<ConsumerLag lag={{ ok: false, error: 'Kafka at k:9092: no answer within 2.0 s', last: s.lag!.ok ? s.lag!.value : undefined }} width={80} />, 80);
    expect(lag.text()).toContain('Kafka at k:9092: no answer within 2.0 s (last known below)');
    expect(lag.text()).toContain('p0');
    const worker = renderAt(<WorkerState worker={{ ok: false, error: 'fetch failed' }} width={80} />, 80);
    expect(worker.text()).toContain('UNREACHABLE: fetch failed');
  });
});

describe('StatusLine and Help', () => {
  it.each([80, 160])('shows the error and the time of the data on screen at %i columns', (width) => {
    const error = { message: 'database unreachable: connect ECONNREFUSED 127.0.0.1:54321 (a long cause that must give way)', at: AT };
    const r = renderAt(<StatusLine at={AT} error={error} paused={false} slow={false} intervalMs={2000} width={width} />, width);
    expectFits(r, width);
    expect(r.text()).toMatch(/^database unreachable: connect ECONNREFUSED .*, showing data from 12:00:00Z/);
  });

  it('says PAUSED, updated, loading, and --once', () => {
    const line = (extra: Partial<Parameters<typeof StatusLine>[0]>) =>
      renderAt(<StatusLine at={AT} error={null} paused={false} slow={false} intervalMs={2000} width={120} {...extra} />, 120).text();
    expect(line({ paused: true })).toMatch(/^PAUSED \(p resumes\) · showing data from 12:00:00Z +q quit · p pause · ↑↓ select · \? help$/);
    expect(line({})).toMatch(/^updated 12:00:00Z · every 2s +q quit/);
    expect(line({ slow: true })).toMatch(/^waiting for the database… · showing data from 12:00:00Z/);
    expect(line({ at: undefined })).toMatch(/^loading…/);
    expect(line({ once: true })).toBe('data from 12:00:00Z · one frame (--once)');
  });

  it('lists every key binding in the help', () => {
    const r = renderAt(<Help width={80} threshold={50} />, 80);
    expectFits(r, 80);
    for (const text of ['q       quit', 'p       pause / resume the refresh', '↑ k     select the pool above', '↓ j     select the pool below', '?       show / hide this help', 'fewer than 50 available']) {
      expect(r.text()).toContain(text);
    }
  });
});

describe('the frame without data', () => {
  it('says it is reading, then shows the error of a first refresh that failed', () => {
    expect(renderAt(<Dashboard {...props(80, { snapshot: null })} />, 80).text()).toContain('Reading the database…');
    const failed = renderAt(<Dashboard {...props(80, { snapshot: null, error: { message: 'database unreachable: connect ECONNREFUSED', at: AT } })} />, 80).text();
    expect(failed).toContain('No data yet.');
    expect(failed).toContain('database unreachable: connect ECONNREFUSED, no data yet; retrying every 2s');
  });

  it('explains a terminal too narrow', () => {
    expect(renderAt(<Dashboard {...props(40)} />, 40).text()).toContain('Too narrow: 40 columns, need 50.');
  });

  it('orders the pools as EXPECTED_ORDER', () => {
    expect(POOLS.map((p) => p.reward_code)).toEqual(EXPECTED_ORDER);
  });
});
