import { describe, expect, it } from 'vitest';
import { bar, columns, group, sparkline } from '../../src/tui/charts.js';
import { clockTime, count, dayTime, fit, millis, percent } from '../../src/tui/format.js';
import { layoutFor, panelHeight, poolColumns, RESERVED_ROWS, type Content, type Layout } from '../../src/tui/layout.js';
import { actionFor, BINDINGS } from '../../src/tui/keys.js';
import { COLOUR_THEME, PLAIN_THEME, themeFor } from '../../src/tui/theme.js';
import { parsePrometheusText } from '../../src/tui/data/workerState.js';

// The pure parts of the console: the layout for a size, the charts, the formats, keys, theme.

const CONTENT: Content = { pools: 6, failureCodes: 4, latestFailures: 5, partitions: 3, worker: true };

/** Rows a column of this layout takes, as panelHeight counts them. */
function columnHeights(layout: Layout, content: Content): number[] {
  return layout.columns.map((c) =>
    c.panels.reduce((sum, p) => sum + panelHeight(p, content, layout.chart.height, layout.poolRows, layout.latestFailureRows), 0),
  );
}

describe('layoutFor', () => {
  it('stacks every panel in one column below 140 columns, all rows with no height limit (--once)', () => {
    const l = layoutFor({ columns: 80 }, CONTENT);
    expect(l.columns).toEqual([
      { width: 80, panels: ['pools', 'detail', 'throughput', 'failures', 'latency', 'lag', 'worker', 'quantity', 'latestFailures'] },
    ]);
    expect(l).toMatchObject({ tooNarrow: false, hidden: [], poolRows: 6, latestFailureRows: 5, chart: { perColumn: 1, height: 3 } });
  });

  it('from 140 columns: pools, detail and latest failures left; the figures right, at least 72 wide', () => {
    const l = layoutFor({ columns: 160 }, CONTENT);
    expect(l.columns).toEqual([
      { width: 88, panels: ['pools', 'detail', 'latestFailures'] },
      { width: 72, panels: ['throughput', 'failures', 'latency', 'lag', 'worker', 'quantity'] },
    ]);
    expect(l.chart).toEqual({ perColumn: 1, height: 4 });
    expect(layoutFor({ columns: 139 }, CONTENT).columns).toHaveLength(1);
    expect(layoutFor({ columns: 200 }, CONTENT).columns.map((c) => c.width)).toEqual([110, 90]);
  });

  it('leaves out the lag and worker panels when they are not configured', () => {
    const l = layoutFor({ columns: 160 }, { ...CONTENT, partitions: null, worker: false });
    expect(l.columns[1]!.panels).toEqual(['throughput', 'failures', 'latency', 'quantity']);
  });

  it('never makes a frame taller than the terminal: panels in priority order while they fit, the rest hidden', () => {
    for (const [cols, rows] of [[80, 24], [80, 40], [100, 30], [160, 30], [160, 48], [200, 60]] as const) {
      const l = layoutFor({ columns: cols, rows }, CONTENT);
      for (const height of columnHeights(l, CONTENT)) expect(height, `${cols}x${rows}`).toBeLessThanOrEqual(rows - RESERVED_ROWS);
    }
    const small = layoutFor({ columns: 80, rows: 24 }, CONTENT);
    expect(small.columns[0]!.panels).toEqual(['pools', 'detail', 'latency']);
    expect(small.hidden).toEqual(['throughput', 'failures', 'lag', 'worker', 'quantity', 'latestFailures']);
    // The spare row goes to the pool list: 4 of 6 pools and a "↓ 2 more" line.
    expect(small.poolRows).toBe(4);
  });

  it('gives spare rows to the pool list, then to the latest failures', () => {
    const many = { ...CONTENT, pools: 50, latestFailures: 10 };
    const tall = layoutFor({ columns: 160, rows: 60 }, many);
    expect(tall.hidden).toEqual([]);
    // left: pools 2 + 1 + rows + 1 (more) | detail 8 | latest failures 2 + 1 + 3 = 57 rows
    expect(tall.poolRows).toBe(57 - 8 - 6 - 4);
    expect(tall.latestFailureRows).toBe(3);
    const few = layoutFor({ columns: 160, rows: 60 }, { ...CONTENT, latestFailures: 10 });
    expect(few.poolRows).toBe(6);
    expect(few.latestFailureRows).toBe(10);
  });

  it('shows the pool list even when nothing fits, and says when the terminal is too narrow', () => {
    expect(layoutFor({ columns: 80, rows: 5 }, CONTENT).columns[0]!.panels).toEqual(['pools']);
    expect(layoutFor({ columns: 49 }, CONTENT).tooNarrow).toBe(true);
    expect(layoutFor({ columns: 50 }, CONTENT).tooNarrow).toBe(false);
  });

  it('groups minutes when the chart is narrower than the hour', () => {
    expect(layoutFor({ columns: 70 }, CONTENT).chart.perColumn).toBe(1);
    expect(layoutFor({ columns: 60 }, CONTENT).chart.perColumn).toBe(2);
  });
});

describe('poolColumns', () => {
  it('adds optional fields in priority order while the reward column keeps 14 cells', () => {
    expect(poolColumns(76)).toEqual({ poolFields: ['emptyAt', 'total'], rewardWidth: 16 });
    expect(poolColumns(84)).toEqual({ poolFields: ['emptyAt', 'total', 'short'], rewardWidth: 17 });
    expect(poolColumns(53)).toEqual({ poolFields: [], rewardWidth: 14 });
    expect(poolColumns(200).poolFields).toEqual(['emptyAt', 'total', 'short', 'redeemed', 'lastHour', 'lastDay', 'expired']);
  });
});

describe('charts', () => {
  it('draws bars in eighths of a cell, never empty above 0', () => {
    expect(bar(10, 10, 4)).toBe('████');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(1, 10, 4)).toBe('▍');
    expect(bar(1, 1000, 4)).toBe('▏');
    expect(bar(0, 10, 4)).toBe('');
  });

  it('draws columns top row first, zero as a dot', () => {
    expect(columns([0, 1, 2, 4], 2, '·')).toEqual(['   █', '·▄██']);
    expect(sparkline([0, 1, 8])).toBe('·▁█');
  });

  it('groups from the newest minute, so the last column is always the latest', () => {
    expect(group([1, 2, 3, 4, 5], 2)).toEqual([1, 5, 9]);
    expect(group([1, 2, 3], 1)).toEqual([1, 2, 3]);
  });
});

describe('formats', () => {
  it('formats counts, shares, milliseconds, times and widths', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(percent(5 / 21)).toBe('23.8%');
    expect([millis(null), millis(4.25), millis(310.4), millis(1250)]).toEqual(['–', '4.3 ms', '310 ms', '1.25 s']);
    // Times carry their zone and are UTC whatever TZ says (docs/dash.md): here a zone 9 hours off.
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      expect(clockTime('2025-06-01T09:05:07Z')).toBe('09:05:07Z');
      expect(clockTime(new Date('2025-06-01T20:05:07.999+02:00'))).toBe('18:05:07Z');
      expect(dayTime('2025-06-01T23:30:00Z')).toBe('06-01 23:30Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(fit('COFFEE-VOUCHER', 8)).toBe('COFFEE-…');
    expect(fit('12', 5, 'right')).toBe('   12');
  });
});

describe('keys and theme', () => {
  const none = { upArrow: false, downArrow: false, escape: false } as Parameters<typeof actionFor>[1];
  it('maps q, p, the arrows, ? and esc, and lists every binding for the help', () => {
    expect(actionFor('q', none)).toBe('quit');
    expect(actionFor('p', none)).toBe('pause');
    expect(actionFor('', { ...none, upArrow: true })).toBe('up');
    expect(actionFor('', { ...none, downArrow: true })).toBe('down');
    expect(actionFor('?', none)).toBe('help');
    expect(actionFor('', { ...none, escape: true })).toBe('close');
    expect(actionFor('x', none)).toBeUndefined();
    expect(BINDINGS.map((b) => b.action)).toEqual(['quit', 'pause', 'up', 'down', 'help', 'close']);
  });

  it('colours LOW yellow and EMPTY red on a terminal; nothing under NO_COLOR, TERM=dumb or off a terminal', () => {
    expect(themeFor({}, true)).toBe(COLOUR_THEME);
    expect(COLOUR_THEME).toMatchObject({ low: 'yellow', empty: 'red', emphasis: true });
    expect(themeFor({ NO_COLOR: '1' }, true)).toBe(PLAIN_THEME);
    expect(themeFor({ NO_COLOR: '' }, true)).toBe(PLAIN_THEME);
    expect(themeFor({ TERM: 'dumb' }, true)).toBe(PLAIN_THEME);
    expect(themeFor({}, false)).toBe(PLAIN_THEME);
    expect(Object.values(PLAIN_THEME).filter((v) => v !== undefined && v !== false)).toEqual([]);
  });
});

describe('Prometheus text', () => {
  it('reads samples with labels, skipping comments', () => {
    const text = '# HELP x y\n# TYPE x counter\nx_total{outcome="succeeded",a="b"} 12\nup 1\n\n';
    expect(parsePrometheusText(text)).toEqual([
      { name: 'x_total', labels: { outcome: 'succeeded', a: 'b' }, value: 12 },
      { name: 'up', labels: {}, value: 1 },
    ]);
  });
});
