import { Text } from 'ink';
import type { MetricsReport } from '../../monitoring/redemptionMetrics.js';
import { bar } from '../charts.js';
import { count, fit, percent } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { MAX_FAILURE_CODES } from '../layout.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

type Figures = Pick<MetricsReport, 'requests' | 'successes' | 'failures' | 'failures_by_code'>;

/** Requests, successes and failures over the last hour, failures by error code as bars. */
export function Failures({ metrics, width }: { metrics: Figures; width: number }) {
  const theme = useTheme();
  const codes = metrics.failures_by_code;
  const shown = codes.length > MAX_FAILURE_CODES ? codes.slice(0, MAX_FAILURE_CODES - 1) : codes;
  const max = Math.max(0, ...codes.map((c) => c.count));
  const barWidth = Math.max(4, width - 4 - 24 - 7 - 1);
  const share = metrics.requests > 0 ? ` (${percent(metrics.failures / metrics.requests)})` : '';
  return (
    <Panel title="Failures by error code · last hour" width={width}>
      <Line>
        {`${count(metrics.requests)} requests · ${count(metrics.successes)} ok · `}
        <Text color={metrics.failures > 0 ? theme.error : theme.ok}>{`${count(metrics.failures)} failed${share}`}</Text>
      </Line>
      {codes.length === 0 && (
        <Line>
          <Text color={theme.ok}>no failures</Text>
        </Line>
      )}
      {shown.map((c) => (
        <Line key={c.error_code}>
          {fit(c.error_code, 24)}
          <Text color={theme.error}>{fit(bar(c.count, max, barWidth), barWidth)}</Text>
          {` ${fit(count(c.count), 6, 'right')}`}
        </Line>
      ))}
      {shown.length < codes.length && (
        <Line>
          <Text color={theme.muted}>{`+ ${codes.length - shown.length} more codes, ${count(codes.slice(shown.length).reduce((a, c) => a + c.count, 0))} failures`}</Text>
        </Line>
      )}
    </Panel>
  );
}
