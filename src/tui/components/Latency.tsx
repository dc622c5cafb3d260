import { Text } from 'ink';
import type { MetricsReport, Percentiles } from '../../monitoring/redemptionMetrics.js';
import { count, fit, millis } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** Processing and end-to-end time, p50 / p95 / p99, against docs/domain.md's 500 ms target. */
export function Latency({ latency, width }: { latency: MetricsReport['latency_ms']; width: number }) {
  const theme = useTheme();
  const cell = (text: string) => fit(text, 10, 'right');
  const row = (name: string, p: Percentiles) => {
    const verdict =
      p.over_target === null ? (
        ''
      ) : p.over_target ? (
        <Text color={theme.error} bold={theme.emphasis}>{`  p99 over ${p.target_ms} ms`}</Text>
      ) : (
        <Text color={theme.ok}>{`  ok < ${p.target_ms} ms`}</Text>
      );
    return (
      <Line key={name}>
        {fit(name, 11)}
        {cell(millis(p.p50))}
        {cell(millis(p.p95))}
        <Text color={p.over_target ? theme.error : undefined}>{cell(millis(p.p99))}</Text>
        {cell(count(p.samples))}
        {verdict}
      </Line>
    );
  };
  return (
    <Panel title="Latency · last hour" width={width}>
      <Line>
        <Text color={theme.muted}>{`${fit('', 11)}${cell('p50')}${cell('p95')}${cell('p99')}${cell('samples')}`}</Text>
      </Line>
      {row('processing', latency.processing)}
      {row('end to end', latency.end_to_end)}
    </Panel>
  );
}
