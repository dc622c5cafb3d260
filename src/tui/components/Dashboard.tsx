import { Box, Text } from 'ink';
import { DEFAULT_THRESHOLD } from '../../monitoring/forecast.js';
import type { Snapshot } from '../data/snapshot.js';
import type { RefreshFailure } from '../hooks/useDashboardData.js';
import { selectedIndex } from '../hooks/useSelection.js';
import { useTheme } from '../hooks/useTheme.js';
import { layoutFor, MAX_PARTITIONS, MIN_WIDTH, type Content, type Layout, type PanelId } from '../layout.js';
import { ConsumerLag } from './ConsumerLag.js';
import { Failures } from './Failures.js';
import { Header } from './Header.js';
import { Help } from './Help.js';
import { LatestFailures } from './LatestFailures.js';
import { Latency } from './Latency.js';
import { PoolDetail } from './PoolDetail.js';
import { PoolTable } from './PoolTable.js';
import { QuantityBars } from './QuantityBars.js';
import { StatusLine } from './StatusLine.js';
import { Throughput } from './Throughput.js';
import { WorkerState } from './WorkerState.js';

export interface DashboardProps {
  /** the last good snapshot (null before the first) */
  snapshot: Snapshot | null;
  error: RefreshFailure | null;
  paused: boolean;
  slow: boolean;
  selectedId: string | null;
  help: boolean;
  columns: number;
  /** undefined: as tall as the content (`--once`) */
  rows?: number | undefined;
  intervalMs: number;
  once?: boolean;
  /** The named context the console reads (docs/config.md), shown in the header. */
  contextName?: string | undefined;
}

export function contentOf(snapshot: Snapshot | null): Content {
  const lag = snapshot?.lag;
  const lagReport = lag ? (lag.ok ? lag.value : lag.last) : undefined;
  return {
    pools: snapshot?.pools.length ?? 0,
    failureCodes: snapshot?.metrics.failures_by_code.length ?? 0,
    latestFailures: snapshot?.latestFailures.length ?? 0,
    partitions: lag ? Math.min(MAX_PARTITIONS, lagReport?.partitions.length ?? 0) : null,
    worker: snapshot?.worker !== undefined,
  };
}

/** One frame of the console, from plain data: the layout for this size, the panels, the status line. */
export function Dashboard(props: DashboardProps) {
  const { snapshot, columns } = props;
  const theme = useTheme();
  const layout = layoutFor({ columns, rows: props.rows }, contentOf(snapshot));
  const status = (
    <StatusLine
      at={snapshot?.at}
      error={props.error}
      paused={props.paused}
      slow={props.slow}
      intervalMs={props.intervalMs}
      width={columns}
      once={props.once ?? false}
    />
  );
  if (layout.tooNarrow) {
    return (
      <Box flexDirection="column" width={columns}>
        <Text wrap="truncate-end">{`Too narrow: ${columns} columns, need ${MIN_WIDTH}.`}</Text>
        {status}
      </Box>
    );
  }
  let body;
  if (props.help) body = <Help width={columns} threshold={snapshot?.threshold ?? DEFAULT_THRESHOLD} />;
  else if (!snapshot) body = <Text color={theme.muted}>{props.error ? 'No data yet.' : 'Reading the database…'}</Text>;
  else {
    body = (
      <Box flexDirection="row" width={columns}>
        {layout.columns.map((column, i) => (
          <Box key={i} flexDirection="column" width={column.width} flexShrink={0}>
            {column.panels.map((id) => (
              <Box key={id} flexShrink={0}>
                {panelFor(id, column.width, snapshot, layout, props)}
              </Box>
            ))}
          </Box>
        ))}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={columns}>
      <Header snapshot={snapshot} hidden={props.help ? [] : layout.hidden} contextName={props.contextName} />
      {body}
      {status}
    </Box>
  );
}

function panelFor(id: PanelId, width: number, snapshot: Snapshot, layout: Layout, { selectedId, paused }: DashboardProps) {
  const selected = selectedIndex(snapshot.pools, selectedId);
  switch (id) {
    case 'pools':
      return (
        <PoolTable
          pools={snapshot.pools}
          selected={selected}
          rows={layout.poolRows}
          fields={layout.poolFields}
          rewardWidth={layout.rewardWidth}
          width={width}
          threshold={snapshot.threshold}
          at={snapshot.at}
        />
      );
    case 'detail':
      return <PoolDetail pool={snapshot.pools[selected]} detail={snapshot.poolDetail} paused={paused} width={width} />;
    case 'throughput':
      return <Throughput perMinute={snapshot.throughputPerMinute} perColumn={layout.chart.perColumn} height={layout.chart.height} width={width} />;
    case 'failures':
      return <Failures metrics={snapshot.metrics} width={width} />;
    case 'latency':
      return <Latency latency={snapshot.metrics.latency_ms} width={width} />;
    case 'quantity':
      return <QuantityBars quantity={snapshot.metrics.quantity} width={width} />;
    case 'latestFailures':
      return <LatestFailures failures={snapshot.latestFailures} rows={layout.latestFailureRows} width={width} />;
    case 'lag':
      return snapshot.lag ? <ConsumerLag lag={snapshot.lag} width={width} /> : null;
    case 'worker':
      return snapshot.worker ? <WorkerState worker={snapshot.worker} width={width} /> : null;
  }
}
