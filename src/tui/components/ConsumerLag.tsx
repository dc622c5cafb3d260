import { Text } from 'ink';
import { bar } from '../charts.js';
import type { LagReport, Side } from '../data/snapshot.js';
import { count, fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { MAX_PARTITIONS } from '../layout.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** Consumer lag per partition from the broker; a broker that does not answer shows here only. */
export function ConsumerLag({ lag, width }: { lag: Side<LagReport>; width: number }) {
  const theme = useTheme();
  const report = lag.ok ? lag.value : lag.last;
  const partitions = report?.partitions.slice(0, MAX_PARTITIONS) ?? [];
  const max = Math.max(0, ...partitions.map((p) => p.lag));
  const barWidth = Math.max(4, width - 4 - 5 - 26 - 1);
  const title = report ? `Consumer lag · ${report.group} on ${report.topic}` : 'Consumer lag';
  return (
    <Panel title={title} width={width}>
      {lag.ok ? (
        <Line>
          {`${count(lag.value.total)} behind · group ${lag.value.state}, ${lag.value.members} member${lag.value.members === 1 ? '' : 's'}`}
        </Line>
      ) : (
        <Line>
          <Text color={theme.error}>{`${lag.error}${lag.last ? ' (last known below)' : ''}`}</Text>
        </Line>
      )}
      {partitions.map((p) => (
        <Line key={p.partition}>
          <Text color={theme.muted}>{fit(`p${p.partition}`, 5)}</Text>
          {fit(`${p.committed === null ? '–' : count(p.committed)} / ${count(p.high)}`, 17)}
          {fit(count(p.lag), 8, 'right')}
          {' '}
          <Text color={p.lag > 0 ? theme.warn : theme.ok}>{bar(p.lag, max, barWidth)}</Text>
        </Line>
      ))}
    </Panel>
  );
}
