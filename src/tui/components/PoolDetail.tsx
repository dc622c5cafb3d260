import { Text } from 'ink';
import type { PoolHealth } from '../../monitoring/poolHealth.js';
import { formatRate, formatTimeToEmpty } from '../../monitoring/poolFormat.js';
import { sparkline } from '../charts.js';
import type { PoolDetail as Detail } from '../data/snapshot.js';
import { count, dayTime } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { statusMark } from '../marks.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

export interface PoolDetailProps {
  pool: PoolHealth | undefined;
  /** the detail read with the last snapshot: for another pool until the next refresh */
  detail: Detail | null;
  paused: boolean;
  width: number;
}

/** The selected pool: its counts, its pace, units per hour over the last hours, expiring codes, lots. */
export function PoolDetail({ pool, detail, paused, width }: PoolDetailProps) {
  const theme = useTheme();
  if (!pool) {
    return (
      <Panel title="Pool detail" width={width}>
        <Line>No pool to show.</Line>
      </Panel>
    );
  }
  const mark = statusMark(pool.status, theme);
  const label = (text: string) => <Text color={theme.muted}>{text.padEnd(10)}</Text>;
  const pace =
    pool.hours_to_empty === 0 ? (
      <Text color={mark.color}>empty now</Text>
    ) : pool.hours_to_empty === null ? (
      'never empties at this pace'
    ) : (
      `empty in ${formatTimeToEmpty(pool)}${pool.empty_at ? ` (${dayTime(pool.empty_at)})` : ''}`
    );
  const own = detail?.reward_id === pool.reward_id ? detail : null;
  const pending = <Text color={theme.muted}>{paused ? 'paused: read when resumed' : 'loading…'}</Text>;
  const peak = own ? Math.max(0, ...own.hourly) : 0;
  return (
    <Panel title={`${pool.reward_code} · ${pool.name}`} width={width}>
      <Line>
        {label('codes')}
        <Text color={mark.color} bold={pool.status !== 'OK' && theme.emphasis}>
          {mark.text}
        </Text>
        {` ${count(pool.available)} available of ${count(pool.total)} · ${count(pool.redeemed)} redeemed · ${count(pool.voided)} voided · ${count(pool.expired)} expired`}
      </Line>
      <Line>
        {label('pace')}
        {`${formatRate(pool.depletion_per_hour)}/h (1h ${count(pool.redeemed_last_hour)}, 24h ${count(pool.redeemed_last_day)}) · `}
        {pace}
      </Line>
      <Line>
        {label('last 12h')}
        {own ? (
          <>
            <Text color={theme.bar}>{sparkline(own.hourly)}</Text>
            <Text color={theme.muted}>{` units/hour, peak ${count(peak)}`}</Text>
          </>
        ) : (
          pending
        )}
      </Line>
      <Line>
        {label('expiring')}
        {own
          ? `${count(own.expiring_24h)} within 24h · ${count(own.expiring_7d)} within 7d${own.next_expiry ? ` · next ${dayTime(own.next_expiry)}` : ''}`
          : pending}
      </Line>
      <Line>
        {label('lots')}
        {own
          ? own.lots.length === 0
            ? 'no codes'
            : own.lots.map((l) => `${l.lot ?? '(none)'} ${count(l.available)}/${count(l.total)}`).join(' · ')
          : pending}
      </Line>
      <Line>
        {label('short 24h')}
        <Text color={pool.insufficient_codes_last_day > 0 ? theme.warn : undefined}>
          {`${count(pool.insufficient_codes_last_day)} request${pool.insufficient_codes_last_day === 1 ? '' : 's'} refused INSUFFICIENT_CODES`}
        </Text>
      </Line>
    </Panel>
  );
}
