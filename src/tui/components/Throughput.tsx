import { Text } from 'ink';
import { columns, group } from '../charts.js';
import { count, fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

export interface ThroughputProps {
  /** succeeded requests per minute, oldest first */
  perMinute: number[];
  /** minutes per column (layout.ts: 1 when the hour fits) */
  perColumn: number;
  height: number;
  width: number;
}

/** Redemptions per minute over the last hour, as columns of block characters. */
export function Throughput({ perMinute, perColumn, height, width }: ThroughputProps) {
  const theme = useTheme();
  const values = group(perMinute, perColumn);
  const max = Math.max(0, ...values);
  const total = perMinute.reduce((a, b) => a + b, 0);
  const rows = columns(values, height, '·');
  const axis = Math.max(3, String(max).length);
  const unit = perColumn === 1 ? 'min' : `${perColumn} min`;
  const label = (row: number) => (row === 0 ? String(max) : row === height - 1 ? '0' : '');
  const span = values.length;
  return (
    <Panel title={`Throughput · redemptions per ${unit}, last hour`} width={width}>
      <Line>
        {`${count(total)} this hour · avg ${(total / Math.max(1, perMinute.length)).toFixed(1)}/min · peak ${count(max)} · last ${count(values[values.length - 1] ?? 0)}`}
      </Line>
      {rows.map((row, i) => (
        <Line key={i}>
          <Text color={theme.muted}>{`${fit(label(i), axis, 'right')} ${i === 0 || i === height - 1 ? '┤' : '│'}`}</Text>
          <Text color={theme.bar}>{row}</Text>
        </Line>
      ))}
      <Line>
        <Text color={theme.muted}>{`${' '.repeat(axis)} └${fit(`-${perMinute.length}m`, Math.max(0, span - 3))}now`}</Text>
      </Line>
    </Panel>
  );
}
