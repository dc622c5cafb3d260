import { Text } from 'ink';
import type { PoolHealth } from '../../monitoring/poolHealth.js';
import { formatRate, formatTimeToEmpty } from '../../monitoring/poolFormat.js';
import { count, dayTime, fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { POOL_BASE, POOL_FIELD_WIDTH, type PoolField } from '../layout.js';
import { statusMark } from '../marks.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

export interface PoolTableProps {
  pools: PoolHealth[];
  /** the row shown as selected (index into pools) */
  selected: number;
  /** rows that fit; the list scrolls to keep the selection in view */
  rows: number;
  fields: PoolField[];
  rewardWidth: number;
  width: number;
  threshold: number;
  /** the snapshot's time: "empty at" shows the time of day when it falls on the same day */
  at: string;
}

const FIELD_HEAD: Record<PoolField, string> = {
  emptyAt: 'EMPTY AT',
  total: 'TOTAL',
  short: 'SHORT',
  redeemed: 'REDEEMED',
  lastHour: 'LAST 1H',
  lastDay: 'LAST 24H',
  expired: 'EXPIRED',
};

function fieldValue(field: PoolField, pool: PoolHealth, at: string): string {
  switch (field) {
    case 'emptyAt':
      if (pool.empty_at === null || pool.hours_to_empty === 0) return '';
    {
      // The same day as the snapshot (in UTC): the time of day (`17:00Z`); later: the date too (`06-04 15:30Z`).
      const when = dayTime(pool.empty_at);
      return when.slice(0, 5) === dayTime(at).slice(0, 5) ? when.slice(6) : when;
    }
    case 'total':
      return count(pool.total);
    case 'short':
      return count(pool.insufficient_codes_last_day);
    case 'redeemed':
      return count(pool.redeemed);
    case 'lastHour':
      return count(pool.redeemed_last_hour);
    case 'lastDay':
      return count(pool.redeemed_last_day);
    case 'expired':
      return count(pool.expired);
  }
}

/** Pools soonest-empty first (the order of `pool health`), with the alert marks. */
export function PoolTable({ pools, selected, rows, fields, rewardWidth, width, threshold, at }: PoolTableProps) {
  const theme = useTheme();
  const alerts = pools.filter((p) => p.status !== 'OK').length;
  const title = `Pools · ${pools.length} by time until empty · ${alerts} alert${alerts === 1 ? '' : 's'} · LOW below ${threshold}`;
  if (pools.length === 0) {
    return (
      <Panel title={title} width={width}>
        <Line>No active pool rewards.</Line>
      </Panel>
    );
  }
  const start = selected < rows ? 0 : selected - rows + 1;
  const shown = pools.slice(start, start + rows);
  const right = (text: string, w: number) => fit(text, w - 1, 'right') + ' ';
  const head =
    ' '.repeat(POOL_BASE.select) +
    fit('STATUS', POOL_BASE.status) +
    fit('REWARD', rewardWidth) +
    right('AVAIL', POOL_BASE.available) +
    right('/HOUR', POOL_BASE.perHour) +
    right('EMPTY IN', POOL_BASE.emptyIn) +
    fields.map((f) => right(FIELD_HEAD[f], POOL_FIELD_WIDTH[f])).join('');
  const below = pools.length - start - shown.length;
  return (
    <Panel title={title} width={width}>
      <Line>
        <Text color={theme.muted}>{head.trimEnd()}</Text>
      </Line>
      {shown.map((pool, i) => {
        const isSelected = start + i === selected;
        const mark = statusMark(pool.status, theme);
        return (
          <Line key={pool.reward_id}>
            <Text inverse={isSelected && theme.emphasis}>
              <Text>{isSelected ? '› ' : '  '}</Text>
              <Text color={mark.color} bold={pool.status !== 'OK' && theme.emphasis}>
                {fit(mark.text, POOL_BASE.status)}
              </Text>
              <Text>{fit(pool.reward_code, rewardWidth)}</Text>
              <Text color={pool.status === 'OK' ? undefined : mark.color}>{right(count(pool.available), POOL_BASE.available)}</Text>
              <Text>{right(formatRate(pool.depletion_per_hour), POOL_BASE.perHour)}</Text>
              <Text color={pool.status === 'EMPTY' ? mark.color : undefined}>{right(formatTimeToEmpty(pool), POOL_BASE.emptyIn)}</Text>
              <Text>{fields.map((f) => right(fieldValue(f, pool, at), POOL_FIELD_WIDTH[f])).join('').trimEnd()}</Text>
            </Text>
          </Line>
        );
      })}
      {shown.length < pools.length && (
        <Line>
          <Text color={theme.muted}>
            {`  ${start > 0 ? `↑ ${start} more` : ''}${start > 0 && below > 0 ? ' · ' : ''}${below > 0 ? `↓ ${below} more` : ''}`}
          </Text>
        </Line>
      )}
    </Panel>
  );
}
