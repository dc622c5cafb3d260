import { Text } from 'ink';
import type { LatestFailure } from '../data/snapshot.js';
import { clockTime, count, fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** The newest refused requests: when, why, which reward, how many, which event. */
export function LatestFailures({ failures, rows, width }: { failures: LatestFailure[]; rows: number; width: number }) {
  const theme = useTheme();
  const shown = failures.slice(0, rows);
  return (
    <Panel title="Latest failures" width={width}>
      {shown.length === 0 ? (
        <Line>
          <Text color={theme.ok}>none</Text>
        </Line>
      ) : (
        <>
          <Line>
            <Text color={theme.muted}>{`${fit('TIME', 10)}${fit('ERROR', 21)}${fit('REWARD', 15)}${fit('QTY', 5, 'right')}  EVENT`}</Text>
          </Line>
          {shown.map((f) => (
            <Line key={f.event_id}>
              {fit(clockTime(f.at), 10)}
              <Text color={theme.error}>{fit(f.error_code, 21)}</Text>
              {fit(f.reward_code ?? '–', 15)}
              {fit(f.quantity === null ? '–' : count(f.quantity), 5, 'right')}
              <Text color={theme.muted}>{`  ${f.event_id}`}</Text>
            </Line>
          ))}
        </>
      )}
    </Panel>
  );
}
