import { Text } from 'ink';
import type { Side, WorkerReport } from '../data/snapshot.js';
import { count } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** The worker as its metrics endpoint reports it: up or down, messages by outcome, retries, its lag. */
export function WorkerState({ worker, width }: { worker: Side<WorkerReport>; width: number }) {
  const theme = useTheme();
  const report = worker.ok ? worker.value : worker.last;
  const outcomes = report ? Object.entries(report.processed).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
  const state = !worker.ok ? (
    <Text color={theme.error}>{`UNREACHABLE: ${worker.error}`}</Text>
  ) : worker.value.up === null ? (
    <Text color={theme.warn}>no redeemctl_worker_up at this endpoint</Text>
  ) : worker.value.up ? (
    <Text color={theme.ok} bold={theme.emphasis}>UP</Text>
  ) : (
    <Text color={theme.error} bold={theme.emphasis}>DOWN</Text>
  );
  return (
    <Panel title="Worker" width={width}>
      <Line>{state}</Line>
      <Line>
        {report ? `processed ${outcomes.length === 0 ? '0' : outcomes.map(([outcome, n]) => `${outcome} ${count(n)}`).join(' · ')}` : ''}
      </Line>
      <Line>
        {report
          ? `failures ${count(report.failures)} · retries ${count(report.retries)} · lag ${
              report.lag.length === 0 ? '–' : report.lag.map((l) => `p${l.partition} ${count(l.lag)}`).join(' ')
            }`
          : ''}
      </Line>
    </Panel>
  );
}
