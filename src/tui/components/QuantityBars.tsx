import { Text } from 'ink';
import type { MetricsReport } from '../../monitoring/redemptionMetrics.js';
import { bar } from '../charts.js';
import { count, fit, percent } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** Requests by quantity asked for (the `metrics` histogram), as bars, with the average. */
export function QuantityBars({ quantity, width }: { quantity: MetricsReport['quantity']; width: number }) {
  const theme = useTheme();
  const max = Math.max(0, ...quantity.histogram.map((h) => h.count));
  const barWidth = Math.max(4, width - 4 - 7 - 7 - 7 - 1);
  return (
    <Panel title="Quantity per request · last hour" width={width}>
      {quantity.histogram.map((h) => (
        <Line key={h.bucket}>
          <Text color={theme.muted}>{fit(h.bucket, 7)}</Text>
          <Text color={theme.barAlt}>{fit(bar(h.count, max, barWidth), barWidth)}</Text>
          {` ${fit(count(h.count), 6, 'right')} ${fit(percent(h.share), 6, 'right')}`}
        </Line>
      ))}
      <Line>
        {`average ${quantity.average === null ? '–' : quantity.average.toFixed(2)} · 1: ${percent(quantity.qty_one_share)} · more than 1: ${percent(quantity.qty_many_share)} · ${count(quantity.counted)} requests`}
      </Line>
    </Panel>
  );
}
