import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/shared/io.js';
import { formatCount, formatDecimal, formatMs, formatPercent, formatTime } from '../../src/shared/format.js';
import { displayWidth, fitColumns, keyValues, plainTable, share, table, terminalWidth, wrapText, type ColumnSpec } from '../../src/cli/output.js';
import { renderPoolHealth } from '../../src/cli/commands/render/poolHealth.js';
import type { PoolHealthReport } from '../../src/monitoring/poolHealth.js';

// The pure parts of human output (docs/output.md): plain columns without a terminal, bordered
// tables fitted to one, and the one number and time format.

const BOX = /[┌┐└┘├┤┬┴┼│─]/;
const ANSI_CODE = /\u001b\[[0-9;]*m/g;

function io(options: { tty: boolean; columns?: number; colour?: boolean; env?: Record<string, string> }): CliIO {
  return {
    stdout: { write: () => true, isTTY: options.tty, ...(options.columns === undefined ? {} : { columns: options.columns }) },
    stderr: { write: () => true },
    env: { ...(options.colour ? {} : { NO_COLOR: '1' }), ...options.env },
  };
}

const lines = (text: string) => text.split('\n');
/** The non-empty text of the n-th column of a bordered table, line by line. */
const column = (text: string, n: number) =>
  lines(text)
    .filter((l) => l.startsWith('│'))
    .map((l) => l.split('│')[n + 1]!.trim())
    .filter((cell) => cell !== '');
const widest = (text: string) => Math.max(...lines(text.replace(ANSI_CODE, '')).map(displayWidth));

const POOL_HEAD: Array<string | ColumnSpec> = [
  'reward',
  'status',
  'available',
  { head: 'total', drop: 3 },
  { head: 'voided', drop: 1 },
  { head: 'expired', drop: 2 },
  'per hour',
  'empty in',
];
const POOL_ROWS = [
  ['DRY', '!! EMPTY', 0, 5, 0, 0, '0', 'now'],
  ['STEADY', 'OK', formatCount(12345), 200, 0, 3, '2', '3d 3h 30m'],
];

describe('table without a terminal: plain columns', () => {
  const text = table(io({ tty: false, columns: 40 }), POOL_HEAD, POOL_ROWS);

  it('has the header row then the rows, two spaces apart, no borders, nothing dropped', () => {
    expect(lines(text)).toEqual([
      'reward  status    available  total  voided  expired  per hour  empty in',
      'DRY     !! EMPTY  0          5      0       0        0         now',
      'STEADY  OK        12,345     200    0       3        2         3d 3h 30m',
    ]);
    expect(text).not.toMatch(BOX);
  });

  it('leaves no trailing spaces, also after empty cells and for an empty last header', () => {
    const t = table(io({ tty: false }), ['a', 'b', ''], [['x', '', ''], ['', 'y', 'z'], [null, undefined, '']]);
    expect(lines(t)).toEqual(['a  b', 'x', '   y  z', '']);
    for (const line of lines(text)) expect(line).toBe(line.trimEnd());
  });

  it('does not cut or wrap a long cell, whatever the width', () => {
    const long = 'x'.repeat(300);
    expect(table(io({ tty: false, columns: 40 }), ['k', 'v'], [['a', long]])).toContain(`a  ${long}`);
  });

  it('keeps the lines of a cell with line breaks under its column', () => {
    expect(plainTable(['k', 'v', 'w'], [['a', 'one\ntwo', 'z']])).toBe('k  v    w\na  one  z\n   two');
  });

  it('keyValues is label and value, the labels padded', () => {
    expect(keyValues(io({ tty: false }), [['requests', 21], ['points burned', formatCount(2510)], ['none', null], ['flag', true]])).toBe(
      'requests       21\npoints burned  2,510\nnone\nflag           true',
    );
  });
});

describe('table on a terminal: borders, fitted to the width', () => {
  it('draws cli-table3 borders and, when it fits, everything as it is', () => {
    const text = table(io({ tty: true, columns: 200 }), POOL_HEAD, POOL_ROWS);
    expect(text).toMatch(/^┌─+┬/);
    expect(text).toMatch(/│ STEADY │ OK\s+│ 12,345\s+│ 200\s+│ 0\s+│ 3\s+│ 2\s+│ 3d 3h 30m │/);
    expect(text).not.toContain('not shown');
  });

  it('without a known width (and no COLUMNS) it is not fitted', () => {
    const wide = [['x'.repeat(150)]];
    expect(widest(table(io({ tty: true }), ['v'], wide))).toBe(154);
    expect(terminalWidth(io({ tty: true }))).toBeUndefined();
    expect(terminalWidth(io({ tty: true, env: { COLUMNS: '72' } }))).toBe(72);
    expect(terminalWidth(io({ tty: true, columns: 100, env: { COLUMNS: '72' } }))).toBe(100);
    expect(terminalWidth(io({ tty: false, columns: 100, env: { COLUMNS: '72' } }))).toBeUndefined();
    expect(widest(table(io({ tty: true, env: { COLUMNS: '60' } }), ['v'], wide))).toBeLessThanOrEqual(60);
  });

  it('drops the low-priority columns first, in their order, and says which', () => {
    // Natural width: 83. Without voided (9 with its border): 74. Without expired too (10): 64.
    expect(widest(table(io({ tty: true, columns: 83 }), POOL_HEAD, POOL_ROWS))).toBe(83);
    const at80 = table(io({ tty: true, columns: 80 }), POOL_HEAD, POOL_ROWS);
    expect(lines(at80)[1]).toBe('│ reward │ status   │ available │ total │ expired │ per hour │ empty in  │');
    expect(lines(at80).at(-1)).toBe('not shown at 80 columns: voided (a wider terminal or --json shows them)');
    const at70 = table(io({ tty: true, columns: 70 }), POOL_HEAD, POOL_ROWS);
    expect(lines(at70)[1]).toBe('│ reward │ status   │ available │ total │ per hour │ empty in  │');
    expect(at70).toContain('not shown at 70 columns: voided, expired');
    for (const [text, width] of [[at80, 80], [at70, 70]] as const) expect(widest(text)).toBeLessThanOrEqual(width);
  });

  it('wraps long cells when dropping is not enough, between words, and keeps every word', () => {
    const reason = 'the worker could not parse the value as a redemption event: quantity must be a whole number';
    const text = table(io({ tty: true, columns: 50 }), ['event id', 'reason'], [['ev-1', reason]]);
    expect(widest(text)).toBeLessThanOrEqual(50);
    const cells = column(text, 1).slice(1);
    expect(cells.length).toBeGreaterThan(1);
    expect(cells.join(' ')).toBe(reason);
    expect(text).not.toContain('…');
  });

  it('cuts a word only when it is longer than its column can be', () => {
    const id = 'a'.repeat(70);
    const text = table(io({ tty: true, columns: 40 }), ['id'], [[id]]);
    expect(widest(text)).toBe(40);
    expect(lines(text).filter((l) => /│ a+/.test(l)).map((l) => l.replace(/[│ ]/g, '')).join('')).toBe(id);
  });

  it('fits keyValues too: label and value wrap, every word kept', () => {
    const value = '4.8% (1 redeliveries) ALERT above 5.0%';
    const text = keyValues(io({ tty: true, columns: 40 }), [['idempotent redeliveries', value]]);
    expect(widest(text)).toBeLessThanOrEqual(40);
    expect(column(text, 0).join(' ')).toBe('idempotent redeliveries');
    expect(column(text, 1).join(' ')).toBe(value);
  });

  it('keeps colour codes whole when a painted cell wraps', () => {
    const painted = '\u001b[31mp99 over target by far\u001b[0m';
    const text = table(io({ tty: true, columns: 20, colour: true }), ['verdict'], [[painted]]);
    expect(widest(text)).toBeLessThanOrEqual(20);
    expect(text.replace(ANSI_CODE, '')).not.toMatch(/\u001b|\[\d+m/);
  });

  it('renderPoolHealth at 80 columns keeps reward, status, available, per hour and empty in', () => {
    const pool = { reward_id: 'r', name: 'Pool', total: 1000, available: 990, redeemed: 10, voided: 0, expired: 0, redeemed_last_hour: 1, redeemed_last_day: 10, depletion_per_hour: 1, hours_to_empty: 990, empty_at: null, status: 'OK', insufficient_codes_last_day: 0 };
    const report = {
      generated_at: '2025-06-01T12:00:00.000Z',
      threshold: 50,
      pools: [{ ...pool, reward_code: 'A-REWARD-CODE' }, { ...pool, reward_code: 'B' }],
      alerts: [],
    } as unknown as PoolHealthReport;
    const text = renderPoolHealth(io({ tty: true, columns: 80 }), report);
    const tableLines = lines(text).filter((l) => BOX.test(l[0] ?? ''));
    expect(Math.max(...tableLines.map(displayWidth))).toBeLessThanOrEqual(80);
    expect(tableLines[1]).toMatch(/│ reward\s+│ status │ available │ total │ per hour │ empty in\s+│ short 24h │/);
    expect(text).toContain('│ A-REWARD-CODE │ OK     │ 990       │ 1,000 │ 1 ');
    expect(text).toContain('not shown at 80 columns: voided, expired, last 24h, last 1h, redeemed');
    expect(text).toContain('as of 2025-06-01T12:00:00Z;');
  });
});

describe('fitting, piece by piece', () => {
  it('share meets small needs whole and splits the rest equally', () => {
    expect(share([5, 50, 50], 45)).toEqual([5, 20, 20]);
    expect(share([5, 50, 50], 46)).toEqual([5, 21, 20]);
    expect(share([3, 4], 100)).toEqual([3, 4]);
    expect(share([10, 10], 0)).toEqual([0, 0]);
  });

  it('fitColumns drops by `drop`, rightmost first among equals, never the columns without one', () => {
    const columns: ColumnSpec[] = [{ head: 'a' }, { head: 'b', drop: 1 }, { head: 'c', drop: 1 }, { head: 'd' }];
    const rows = [['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dddddddddd']];
    expect(fitColumns(columns, rows, 53).dropped).toEqual([]);
    expect(fitColumns(columns, rows, 52).dropped).toEqual([2]);
    expect(fitColumns(columns, rows, 39)).toEqual({ keep: [0, 3], dropped: [2, 1], widths: [10, 10] });
    expect(fitColumns(columns, rows, 17)).toEqual({ keep: [0, 3], dropped: [2, 1], widths: [5, 5] });
  });

  it('wrapText breaks between words, cuts only words longer than a line', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghij k', 4)).toEqual(['abcd', 'efgh', 'ij k']);
    expect(wrapText('short', 10)).toEqual(['short']);
    expect(wrapText('a\nb c d', 3)).toEqual(['a', 'b c', 'd']);
  });

  it('displayWidth ignores colour and counts wide characters twice', () => {
    expect(displayWidth('\u001b[31m!! EMPTY\u001b[0m')).toBe(8);
    expect(displayWidth('–…')).toBe(2);
    expect(displayWidth('日本')).toBe(4);
  });
});

describe('one number format', () => {
  it('counts and points: thousands separated by commas, raw identifiers stay raw in the callers', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(-1200)).toBe('-1,200');
    expect(formatCount(1234567.891)).toBe('1,234,567.89');
    expect(formatCount(12345678901234567890n)).toBe('12,345,678,901,234,567,890');
    expect(formatCount('9007199254740993')).toBe('9,007,199,254,740,993');
    expect(formatCount('n/a')).toBe('n/a');
    expect(formatCount(null)).toBe('');
    expect(formatCount(undefined)).toBe('');
  });

  it('decimals, percentages and milliseconds', () => {
    expect(formatDecimal(2.5, 2)).toBe('2.50');
    expect(formatDecimal(1234.5, 2)).toBe('1,234.50');
    expect(formatDecimal(null, 2)).toBe('');
    expect(formatPercent(0.2381)).toBe('23.8%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0)).toBe('0.0%');
    expect(formatMs(4.24)).toBe('4.2 ms');
    expect(formatMs(310.4)).toBe('310 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(null)).toBe('–');
  });
});

describe('one time format', () => {
  it('ISO-8601 in UTC to the second, with its zone Z', () => {
    expect(formatTime(new Date('2025-06-01T12:00:00.000Z'))).toBe('2025-06-01T12:00:00Z');
    expect(formatTime('2025-06-01T12:00:00.987Z')).toBe('2025-06-01T12:00:00Z');
    expect(formatTime('2025-06-01T14:30:00+02:00')).toBe('2025-06-01T12:30:00Z');
    expect(formatTime(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025-01-02T03:04:05Z');
  });

  it('nothing for no time; a string that is not a time as it is', () => {
    expect(formatTime(null)).toBe('');
    expect(formatTime(undefined)).toBe('');
    expect(formatTime('')).toBe('');
    expect(formatTime('soon')).toBe('soon');
  });
});
