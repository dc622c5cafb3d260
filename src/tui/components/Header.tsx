import { Text } from 'ink';
import type { Snapshot } from '../data/snapshot.js';
import { count } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import type { PanelId } from '../layout.js';

const NAMES: Record<PanelId, string> = {
  pools: 'pools',
  detail: 'detail',
  throughput: 'throughput',
  failures: 'failures',
  latency: 'latency',
  lag: 'lag',
  worker: 'worker',
  quantity: 'quantity',
  latestFailures: 'latest failures',
};

/**
 * The top line: the named context it reads (docs/config.md), the alerts at a glance, and which
 * panels the terminal had no room for.
 */
export function Header({ snapshot, hidden, contextName }: { snapshot: Snapshot | null; hidden: PanelId[]; contextName?: string | undefined }) {
  const theme = useTheme();
  const empty = snapshot?.pools.filter((p) => p.status === 'EMPTY').length ?? 0;
  const low = snapshot?.pools.filter((p) => p.status === 'LOW').length ?? 0;
  return (
    <Text wrap="truncate-end">
      <Text color={theme.title} bold={theme.emphasis}>
        redeemctl dash
      </Text>
      {contextName !== undefined && (
        <Text color={theme.title} bold={theme.emphasis}>{` [context ${contextName}]`}</Text>
      )}
      {snapshot && (
        <>
          {` · ${count(snapshot.pools.length)} pool${snapshot.pools.length === 1 ? '' : 's'}: `}
          <Text color={empty > 0 ? theme.empty : undefined} bold={empty > 0 && theme.emphasis}>{`${empty} EMPTY`}</Text>
          {', '}
          <Text color={low > 0 ? theme.low : undefined} bold={low > 0 && theme.emphasis}>{`${low} LOW`}</Text>
          {` · 1h: ${count(snapshot.metrics.requests)} requests, ${count(snapshot.metrics.failures)} failed`}
        </>
      )}
      {hidden.length > 0 && <Text color={theme.muted}>{` · ${hidden.length} hidden: ${hidden.map((p) => NAMES[p]).join(', ')}`}</Text>}
    </Text>
  );
}
