import { Text } from 'ink';
import { fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';
import { BINDINGS } from '../keys.js';
import { Line } from './Line.js';
import { Panel } from './Panel.js';

/** `?`: the key bindings (from keys.ts) and how to read the screen. */
export function Help({ width, threshold }: { width: number; threshold: number }) {
  const theme = useTheme();
  return (
    <Panel title="Help · ? or esc closes" width={width}>
      {BINDINGS.map((b) => (
        <Line key={b.action}>
          <Text color={theme.title} bold={theme.emphasis}>
            {fit(b.keys, 8)}
          </Text>
          {b.description}
        </Line>
      ))}
      <Line> </Line>
      <Line>Pools are listed soonest empty first, as `redeemctl pool health` lists them.</Line>
      <Line>
        <Text color={theme.empty}>!! EMPTY</Text>
        {' no code left   '}
        <Text color={theme.low}>! LOW</Text>
        {` fewer than ${threshold} available (--threshold)`}
      </Line>
      <Line>Figures cover the last hour: `redeemctl metrics --since 1h` gives the same numbers.</Line>
      <Line>A failed refresh keeps the last good data on screen and says so below.</Line>
    </Panel>
  );
}
