// Which panels the console shows, where, and how big, from the terminal's size and how much there
// is to list. Pure: the components only draw what this decides, and tests/tui/layout.test.ts pins
// it. Below TWO_COLUMNS_FROM columns the panels stack; from there the pools and their detail go
// left and the figures right. Rows are budgeted so a frame is never taller than the terminal
// (a taller one makes Ink clear the screen on every refresh): panels are taken in priority order
// while they fit, the rest are listed as hidden, and spare rows go to the pool list.

export type PanelId = 'pools' | 'detail' | 'throughput' | 'failures' | 'latency' | 'lag' | 'worker' | 'quantity' | 'latestFailures';

export type PoolField = 'emptyAt' | 'total' | 'short' | 'redeemed' | 'lastHour' | 'lastDay' | 'expired';

export interface Content {
  pools: number;
  failureCodes: number;
  latestFailures: number;
  /** null: Kafka is not configured, so no lag panel */
  partitions: number | null;
  worker: boolean;
}

export interface Size {
  columns: number;
  /** undefined: no limit (`--once` prints everything) */
  rows?: number | undefined;
}

export interface Column {
  width: number;
  panels: PanelId[];
}

export interface Layout {
  width: number;
  tooNarrow: boolean;
  columns: Column[];
  hidden: PanelId[];
  /** Pool table: rows shown (the list scrolls to keep the selection in view), optional fields, reward column width. */
  poolRows: number;
  poolFields: PoolField[];
  rewardWidth: number;
  latestFailureRows: number;
  /** Throughput chart: minutes per column and rows tall. */
  chart: { perColumn: number; height: number };
}

export const MIN_WIDTH = 50;
export const TWO_COLUMNS_FROM = 140;
/** The right column: room for the 60-minute chart and its axis. */
export const RIGHT_MIN = 72;
/** A panel's border (2) and one space of padding on each side (2). */
export const PANEL_MARGIN = 4;
/** Header, status line, and one spare row so the frame stays below the terminal's height. */
export const RESERVED_ROWS = 3;

export const DETAIL_LINES = 6;
export const QUANTITY_LINES = 7;
export const LATENCY_LINES = 3;
export const WORKER_LINES = 3;
export const MAX_FAILURE_CODES = 6;
export const MAX_PARTITIONS = 8;
export const MAX_LATEST_FAILURES = 10;
const MIN_POOL_ROWS = 3;
const MIN_LATEST_FAILURES = 3;

/** Fixed pool table columns, each with its gap: selection mark, status, available, per hour, empty in. */
export const POOL_BASE = { select: 2, status: 9, available: 8, perHour: 9, emptyIn: 11 } as const;
export const POOL_FIELD_WIDTH: Record<PoolField, number> = { emptyAt: 13, total: 8, short: 7, redeemed: 9, lastHour: 8, lastDay: 9, expired: 8 };
const POOL_FIELD_ORDER: PoolField[] = ['emptyAt', 'total', 'short', 'redeemed', 'lastHour', 'lastDay', 'expired'];
const REWARD_MIN = 14;
const AXIS_WIDTH = 6;
const WINDOW = 60;

const STACKED: PanelId[] = ['pools', 'detail', 'throughput', 'failures', 'latency', 'lag', 'worker', 'quantity', 'latestFailures'];
const LEFT: PanelId[] = ['pools', 'detail', 'latestFailures'];
const RIGHT: PanelId[] = ['throughput', 'failures', 'latency', 'lag', 'worker', 'quantity'];

export function layoutFor(size: Size, content: Content): Layout {
  const width = size.columns;
  const body = size.rows === undefined ? Number.POSITIVE_INFINITY : Math.max(0, size.rows - RESERVED_ROWS);
  const present = (p: PanelId) => (p !== 'lag' || content.partitions !== null) && (p !== 'worker' || content.worker);
  const two = width >= TWO_COLUMNS_FROM;
  const right = Math.max(RIGHT_MIN, Math.floor(width * 0.45));
  const plan: Column[] = two
    ? [
        { width: width - right, panels: LEFT.filter(present) },
        { width: right, panels: RIGHT.filter(present) },
      ]
    : [{ width, panels: STACKED.filter(present) }];
  const chart = { perColumn: Math.max(1, Math.ceil(WINDOW / (plan[plan.length - 1]!.width - PANEL_MARGIN - AXIS_WIDTH))), height: two ? 4 : 3 };

  const hidden: PanelId[] = [];
  let poolRows = Math.min(content.pools, MIN_POOL_ROWS);
  let latestFailureRows = Math.min(content.latestFailures, MIN_LATEST_FAILURES, MAX_LATEST_FAILURES);
  const heights = (p: PanelId): number => panelHeight(p, content, chart.height, poolRows, latestFailureRows);

  const columns = plan.map((column): Column => {
    const shown: PanelId[] = [];
    let used = 0;
    for (const panel of column.panels) {
      // The pool list is the console's reason to be: it shows even when nothing else fits.
      if (panel === 'pools' || used + heights(panel) <= body) {
        shown.push(panel);
        used += heights(panel);
      } else {
        hidden.push(panel);
      }
    }
    // Spare rows: first the pool list, then the latest failures.
    const grow = (panel: PanelId, get: () => number, set: (n: number) => void, most: number) => {
      if (!shown.includes(panel)) return;
      while (get() < most) {
        const before = heights(panel);
        set(get() + 1);
        if (used + heights(panel) - before > body) {
          set(get() - 1);
          break;
        }
        used += heights(panel) - before;
      }
    };
    grow('pools', () => poolRows, (n) => (poolRows = n), content.pools);
    grow('latestFailures', () => latestFailureRows, (n) => (latestFailureRows = n), Math.min(content.latestFailures, MAX_LATEST_FAILURES));
    return { width: column.width, panels: shown };
  });

  const pool = poolColumns(columns[0]!.width - PANEL_MARGIN);
  return { width, tooNarrow: width < MIN_WIDTH, columns, hidden, poolRows, ...pool, latestFailureRows, chart };
}

/** The optional pool fields that fit beside a reward column of at least REWARD_MIN, in priority order. */
export function poolColumns(inner: number): { poolFields: PoolField[]; rewardWidth: number } {
  const base = Object.values(POOL_BASE).reduce((a, b) => a + b, 0);
  let spare = inner - base;
  const poolFields: PoolField[] = [];
  for (const field of POOL_FIELD_ORDER) {
    if (spare - POOL_FIELD_WIDTH[field] < REWARD_MIN) break;
    poolFields.push(field);
    spare -= POOL_FIELD_WIDTH[field];
  }
  return { poolFields, rewardWidth: Math.max(1, spare) };
}

/** Lines a panel takes, its border and title line included. */
export function panelHeight(panel: PanelId, content: Content, chartHeight: number, poolRows: number, latestFailureRows: number): number {
  const chrome = 2;
  switch (panel) {
    case 'pools':
      return chrome + (content.pools === 0 ? 1 : 1 + poolRows + (poolRows < content.pools ? 1 : 0));
    case 'detail':
      return chrome + (content.pools === 0 ? 1 : DETAIL_LINES);
    case 'throughput':
      return chrome + 1 + chartHeight + 1;
    case 'failures':
      return chrome + 1 + Math.max(1, Math.min(content.failureCodes, MAX_FAILURE_CODES));
    case 'latency':
      return chrome + LATENCY_LINES;
    case 'lag':
      return chrome + 1 + Math.min(content.partitions ?? 0, MAX_PARTITIONS);
    case 'worker':
      return chrome + WORKER_LINES;
    case 'quantity':
      return chrome + QUANTITY_LINES;
    case 'latestFailures':
      return chrome + (latestFailureRows === 0 ? 1 : 1 + latestFailureRows);
  }
}
